import BatonCore
import BatonJSON

/// The file and environment layers of the configuration, checked before anything starts.
enum ConfigLoading {
    static func layers(path: String?) throws -> (file: JSONValue, environment: JSONValue) {
        let file: JSONValue
        let chosen = path ?? "baton.json"
        let bytes: [UInt8]?
        do {
            bytes = try KeyFile.read(chosen)
        } catch {
            throw RuntimeError("cannot read the configuration file: \(error)")
        }
        if let bytes {
            do {
                file = try JSONParser.parse(bytes)
            } catch {
                throw RuntimeError("configuration file \(chosen): \(error)")
            }
            let issues = ConfigValidator.validate(file)
            guard issues.isEmpty else {
                throw RuntimeError("configuration file \(chosen): " + issues.map(\.description).joined(separator: "; "))
            }
        } else if path != nil {
            throw RuntimeError("configuration file \(chosen) does not exist")
        } else {
            file = [:]
        }
        let environment: JSONValue
        do {
            environment = try ConfigEnvironment.layer(from: ConfigEnvironment.current())
        } catch {
            throw RuntimeError("environment: \(error)")
        }
        let issues = ConfigValidator.validate(environment)
        guard issues.isEmpty else {
            throw RuntimeError("environment: " + issues.map(\.description).joined(separator: "; "))
        }
        return (file, environment)
    }
}
