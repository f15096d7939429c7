import BatonAPI
import BatonCore
print("baton: \(BatonCoreModule.migrationCount) migrations, spec \(BatonAPIModule.openapiJSON.utf8.count) bytes")
