// libFuzzer target: the template lexer, parser and renderer under a budget. The input is the
// template source, optionally followed by a NUL byte and a JSON object of variables (else the
// sample variables the template store checks templates with). See README "Fuzzing".
import BatonJSON
import BatonTemplates

let fuzzLimits = TemplateLimits(maxDepth: 16, maxLoopIterations: 2000, maxOutputBytes: 65536, maxRenderMs: 1000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTemplate(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    let source = String(decoding: bytes[..<split], as: UTF8.self)
    var variables = TemplateStore.sampleVariables
    if split < bytes.count, let given = (try? JSONParser.parse(Array(bytes[(split + 1)...])))?.objectValue {
        variables = given
    }
    let template: Template
    do {
        template = try Template(source, limits: fuzzLimits)
    } catch {
        precondition(error.line >= 1 && error.column >= 1, "error at line \(error.line), column \(error.column)")
        return 0
    }
    do {
        let out = try template.render(variables, limits: fuzzLimits)
        precondition(out.utf8.count <= fuzzLimits.maxOutputBytes, "\(out.utf8.count) bytes out, over the budget")
    } catch {
        precondition(error.line >= 1 && error.column >= 1, "error at line \(error.line), column \(error.column)")
    }
    return 0
}
