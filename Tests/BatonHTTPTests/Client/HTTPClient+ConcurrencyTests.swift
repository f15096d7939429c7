import BatonHTTP
import BatonTestSupport
import Testing

@Suite struct HTTPClientConcurrencyTests {
    @Test func fiftyConcurrentRequestsAllCorrect() async throws {
        let base = try await HTTPFixture.baseURL()
        let client = HTTPClient()
        defer { client.shutdown() }
        let results = try await withThrowingTaskGroup(of: (Int, Echo).self) { group in
            for i in 0..<50 {
                group.addTask {
                    let body = Array("request \(i)".utf8) + [UInt8(i), 0, 255]
                    let response = try await client.execute(
                        HTTPClientRequest(
                            method: i % 2 == 0 ? .post : .put, url: base + "/echo?i=\(i)",
                            headers: ["X-Index": String(i)], body: body))
                    #expect(response.status == 200)
                    return (i, try Echo(response))
                }
            }
            var all: [Int: Echo] = [:]
            for try await (i, echo) in group { all[i] = echo }
            return all
        }
        #expect(results.count == 50)
        for (i, echo) in results {
            #expect(echo.path == "/echo?i=\(i)")
            #expect(echo.header("X-Index") == String(i))
            #expect(echo.method == (i % 2 == 0 ? "POST" : "PUT"))
            #expect(echo.body == Array("request \(i)".utf8) + [UInt8(i), 0, 255])
        }
    }

    /// Eight requests in flight at once on a two-thread pool, each held by the fixture until this
    /// test lets it go: if transfers blocked pool threads, at most two could be in flight (the
    /// others waiting for a thread) and nothing else could run on the pool meanwhile. Instead the
    /// test's own task (the ping) runs while all eight are held, then releases them. No duration is
    /// compared: the held requests cannot finish before the ping, however loaded the machine.
    @Test func slowRequestsDoNotOccupyTheCooperativePool() async throws {
        let base = try await HTTPFixture.baseURL()
        let client = HTTPClient()
        defer { client.shutdown() }
        let tag = HTTPFixture.newTag()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let response = try await client.execute(HTTPClientRequest(url: base + "/hold?tag=" + tag))
                    #expect(response.text == "released")
                }
            }
            // The ping: on the pool, while all eight are in flight and none can have finished.
            let allInFlight = await eventually(interval: .milliseconds(5)) { await HTTPFixture.arrived(tag) == 8 }
            let arrived = await HTTPFixture.arrived(tag)
            #expect(allInFlight, "\(arrived) of 8 requests reached the fixture")
            _ = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/release?tag=" + tag))
            try await group.waitForAll()
        }
    }
}
