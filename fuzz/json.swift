// libFuzzer target: the strict JSON parser and the canonical serialiser. Whatever parses must
// serialise to text that parses back to the same canonical text, compact and pretty. See README
// "Fuzzing".
import BatonJSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let value: JSONValue
    do {
        value = try JSONParser.parse(bytes)
    } catch {
        precondition(error.offset >= 0 && error.offset <= bytes.count, "error offset \(error.offset) outside the input")
        return 0
    }
    let text = value.text
    for form in [text, value.prettyText] {
        guard let again = try? JSONParser.parse(Array(form.utf8)) else {
            preconditionFailure("the serialiser wrote JSON its parser refuses: \(form)")
        }
        // Bytes, not String equality (which treats canonically equivalent text as equal).
        precondition(Array(again.text.utf8) == Array(text.utf8), "not canonical: \(text) vs \(again.text)")
    }
    return 0
}
