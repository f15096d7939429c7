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
            // Bytes, not Characters: a key may start with a combining mark, which joins the "/".
            precondition(
                issue.pointer.isEmpty || issue.pointer.utf8.first == UInt8(ascii: "/"), "pointer \(issue.pointer)")
            precondition(!issue.message.isEmpty)
        }
    }
    return 0
}
