import BatonHTTP
import BatonPlatform
import Foundation
import Testing

@testable import BatonAPI

@Suite struct OpenAPIRoutesTests {
    static let methods = ["get", "put", "post", "delete", "patch", "head", "options"]

    static func specOperations(_ json: String) throws -> Set<String> {
        let root = try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let paths = try #require(root["paths"] as? [String: Any])
        var out: Set<String> = []
        for (path, item) in paths {
            let operations = try #require(item as? [String: Any])
            for key in operations.keys where methods.contains(key) {
                out.insert("\(key.uppercased()) \(path)")
            }
        }
        return out
    }

    @Test func servesTheDocumentCompiledIntoTheBinary() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let response = await c.request(.get, "/api/v1/openapi.json")
        #expect(response.status == .ok)
        #expect(response.headers["Content-Type"] == "application/json")
        let root = try #require(JSONSerialization.jsonObject(with: Data(response.bodyText.utf8)) as? [String: Any])
        #expect(root["openapi"] as? String == "3.0.3")
    }

    @Test func embeddedDocumentIsTheOneInTheSourceTree() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("openapi/openapi.json")
        let onDisk = try String(contentsOf: file, encoding: .utf8)
        #expect(OpenAPIRoutes.document == onDisk || OpenAPIRoutes.document + "\n" == onDisk)
    }

    /// The router and the spec must list the same operations: a route without documentation, or
    /// documentation of a route that does not exist, fails here.
    @Test func routerAndSpecListTheSameOperations() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let routed = Set(c.router.operations.map { "\($0.method.rawValue) \($0.path)" })
        let documented = try Self.specOperations(OpenAPIRoutes.document)
        #expect(routed.subtracting(documented).sorted() == [], "routes missing from openapi.json")
        #expect(documented.subtracting(routed).sorted() == [], "documented operations with no route")
        #expect(!routed.isEmpty)
    }

    /// Every `pattern` in the document, wherever it is.
    static func patterns(_ value: Any, into out: inout [String]) {
        if let object = value as? [String: Any] {
            if let pattern = object["pattern"] as? String { out.append(pattern) }
            for child in object.values { patterns(child, into: &out) }
        } else if let array = value as? [Any] {
            for child in array { patterns(child, into: &out) }
        }
    }

    /// "Not blank" and "one line" are stated by patterns; they must say what the server's checks
    /// (`isBlank`, `containsLineBreak`) say, code point by code point.
    @Test func textPatternsAgreeWithTheServersChecks() throws {
        let root = try JSONSerialization.jsonObject(with: Data(OpenAPIRoutes.document.utf8))
        var all: [String] = []
        Self.patterns(root, into: &all)
        let notBlank = #"[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"#
        let oneLine = #"^[^\n\r\u000b\u000c\u0085\u2028\u2029]+$"#
        #expect(all.filter { $0.hasPrefix("[^\\t-\\r") }.allSatisfy { $0 == notBlank })
        #expect(all.filter { $0 == notBlank }.count >= 5, "the prompt, the reasons, the steer message")
        #expect(all.filter { $0 == oneLine }.count >= 3, "models and version")
        let blank = try NSRegularExpression(pattern: notBlank)
        let line = try NSRegularExpression(pattern: oneLine)
        // ICU's `$` also matches before a final line break; JSON Schema's (ECMA 262) only at the
        // end, so an anchored pattern matches when its match is the whole text.
        func matches(_ regex: NSRegularExpression, _ text: String) -> Bool {
            let whole = NSRange(text.startIndex..., in: text)
            guard let match = regex.firstMatch(in: text, range: whole) else { return false }
            return !regex.pattern.hasSuffix("$") || match.range == whole
        }
        for value in Array(0...0x3100) + [0xFEFF, 0xFFFD, 0x1F642, 0x10FFFF] {
            guard let scalar = Unicode.Scalar(UInt32(value)) else { continue }
            let text = "a" + String(scalar)
            #expect(matches(blank, String(scalar)) == !String(scalar).isBlank, "U+\(String(value, radix: 16))")
            #expect(matches(line, text) == !text.containsLineBreak, "U+\(String(value, radix: 16))")
        }
    }

    @Test func everyOperationHasAnIdTagsAndResponses() throws {
        let root = try #require(JSONSerialization.jsonObject(with: Data(OpenAPIRoutes.document.utf8)) as? [String: Any])
        let paths = try #require(root["paths"] as? [String: [String: Any]])
        var ids: Set<String> = []
        for (path, item) in paths {
            for (method, value) in item where Self.methods.contains(method) {
                let op = try #require(value as? [String: Any], "\(method) \(path)")
                let id = try #require(op["operationId"] as? String, "\(method) \(path) has no operationId")
                #expect(ids.insert(id).inserted, "duplicate operationId \(id)")
                #expect((op["tags"] as? [String])?.isEmpty == false, "\(method) \(path) has no tags")
                #expect((op["responses"] as? [String: Any])?.isEmpty == false, "\(method) \(path) has no responses")
            }
        }
    }
}
