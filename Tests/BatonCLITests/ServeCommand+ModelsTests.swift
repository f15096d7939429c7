import BatonHTTP
import BatonJSON
import BatonTestSupport
import Foundation
import Testing

/// `GET /api/v1/models` on a real `baton serve`, with a loopback server playing Ollama's
/// `/api/tags` and the embedded worker registered.
@Suite struct ModelsServeTests {
    @Test func serveListsAProvidersModels() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        let ollama = FakeProvider([.json(.ok, #"{"models":[{"name":"qwen2.5-coder:7b","model":"qwen2.5-coder:7b"}]}"#)])
        let base = try ollama.start()
        defer { Task { await ollama.stop() } }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try #"{"providers":{"local":{"kind":"ollama","base_url":"\#(base)"}}}"#.write(
            toFile: dir + "/baton.json", atomically: true, encoding: .utf8)
        let baton = try RunningBaton(["serve", "--port", "0", "--data-dir", dir, "--config", dir + "/baton.json"])
        let port = try #require(await baton.waitForPort(), "serve did not start: \(baton.errors)")
        let api = NodeCommandTests.API(port: port, key: try NodeCommandTests.adminKey(dir))
        let (status, models) = try await api.call(.get, "/api/v1/models?provider=local")
        #expect(status == 200 && models["models"]?.arrayValue?.first?["name"] == "qwen2.5-coder:7b", "\(models.text)")
        #expect(models["providers"]?.arrayValue?.first { $0["name"] == "local" }?["source"] == "provider")
        #expect(ollama.requests.first?.path == "/api/tags")
        #expect(await baton.stop() == 0)
    }
}
