// libFuzzer target: ConfigValidator.validate, on a document alone and merged over the schema
// defaults (as an overlay is checked). See README "Fuzzing".
import BatonCore
import BatonJSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let document = try? JSONParser.parse(bytes) else { return 0 }
    for value in [document, ConfigSchema.defaults.merged(with: document)] {
        for issue in ConfigValidator.validate(value) {
            precondition(issue.pointer.isEmpty || issue.pointer.hasPrefix("/"), "pointer \(issue.pointer)")
            precondition(!issue.message.isEmpty)
        }
    }
    return 0
}
