/// What the server calls for each complete request. The router is one; tests may supply others.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest) async -> HTTPResponse
}
