import BatonHTTP
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
}
