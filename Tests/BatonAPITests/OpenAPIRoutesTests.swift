import BatonHTTP
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
