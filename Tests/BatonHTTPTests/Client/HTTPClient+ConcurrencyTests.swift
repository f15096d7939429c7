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

    /// Eight half-second requests in flight at once on a two-thread pool: if transfers blocked pool
    /// threads they would need about two seconds, and the ping task below would wait for them.
    @Test func slowRequestsDoNotOccupyTheCooperativePool() async throws {
        let base = try await HTTPFixture.baseURL()
        let client = HTTPClient()
        defer { client.shutdown() }
        let tag = HTTPFixture.newTag()
        let (pingDelay, elapsed) = try await timed {
            try await withThrowingTaskGroup(of: Duration?.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let response = try await client.execute(
                            HTTPClientRequest(url: base + "/sleep?ms=500&tag=" + tag))
                        #expect(response.text == "slept")
                        return nil
                    }
                }
                group.addTask {
                    // The ping runs while all eight are in flight.
                    #expect(await eventually(interval: .milliseconds(5)) { await HTTPFixture.arrived(tag) == 8 })
                    let (_, delay) = await timed { await Task.yield() }
                    return delay
                }
                var ping: Duration?
                for try await result in group where result != nil { ping = result }
                return ping
            }
        }
        #expect(elapsed < .milliseconds(1500))
        // Transfers that held a pool thread would delay the ping by their full 500 ms; other suites
        // running in parallel can delay it a little, so the bound sits well between the two.
        #expect(try #require(pingDelay) < .milliseconds(350))
    }
}
