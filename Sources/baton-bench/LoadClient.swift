import BatonHTTP
import BatonJSON

/// One API caller for the load tools: JSON in, status and JSON out.
struct LoadClient: Sendable {
    let base: String
    let key: String
    let client: HTTPClient

    func call(_ method: HTTPMethod, _ path: String, _ body: String = "", timeout: Duration = .seconds(40))
        async throws -> (status: Int, json: JSONValue)
    {
        let response = try await client.execute(
            HTTPClientRequest(
                method: method, url: base + path,
                headers: ["Authorization": "Bearer \(key)", "Content-Type": "application/json"],
                body: Array(body.utf8), timeout: timeout, connectTimeout: .seconds(2)))
        return (response.status, (try? JSONParser.parse(response.body)) ?? .null)
    }
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}
