import Foundation
import Synchronization
import Testing

@testable import BatonHTTP

@Suite struct HTTPServerTests {
    @Test func servesAGetWithDateAndLength() async throws {
        try await withServer { _, port in
            let response = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET /hello?x=1 HTTP/1.1\r\nHost: test\r\n\r\n")
                return try client.readResponse()
            }
            #expect(response.status == 200)
            #expect(response.text == "GET /hello?x=1 0")
            #expect(response.header("Content-Length") == "16")
            #expect(response.header("Date")?.hasSuffix(" GMT") == true)
            #expect(response.header("Connection") == nil)
        }
    }
}
