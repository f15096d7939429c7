import BatonCore
import BatonFit
import BatonHTTP
import BatonJSON
import BatonTestSupport
import Testing

@testable import BatonAPI

/// The node API's router on a fixed system and a small catalog, so every answer is predictable.
@Suite struct NodeRoutesTests {
    static let system = SystemSpecs(
        totalRAMGB: 64, availableRAMGB: 48, cpuCores: 16, cpuName: "Test CPU",
        gpus: [GPU(name: "NVIDIA GeForce RTX 4090", vramGB: 24, freeVRAMGB: 20, backend: .cuda)])
    // Computed, not a stored static: under Swift 6.3 on Linux, test cases racing to initialise a
    // stored static of catalog entries crashed inside swift_once (seen here, not understood).
    static var catalog: [CatalogModel] {
        [
            CatalogModel(
                name: "meta-llama/Llama-3.1-8B-Instruct", provider: "meta-llama", parameterCount: "8B", paramsB: 8,
                contextLength: 131072, useCase: "Instruction following, chat", recommendedRAMGB: 10),
            CatalogModel(
                name: "Qwen/Qwen2.5-Coder-7B-Instruct", provider: "Qwen", parameterCount: "7B", paramsB: 7,
                contextLength: 32768, useCase: "Code generation and completion", recommendedRAMGB: 8),
            CatalogModel(
                name: "huge/model", provider: "huge", parameterCount: "900B", paramsB: 900, contextLength: 4096),
        ]
    }

    static func get(_ target: String) async -> (HTTPStatus, JSONValue) {
        let router = NodeRoutes.makeRouter(
            node: NodeIdentity(name: "worker-1", os: "linux"), system: NodeRoutes.SystemSnapshot(system),
            catalog: catalog)
        let response = await router.respond(to: HTTPRequest(method: .get, target: target))
        var body: [UInt8] = []
        if case .bytes(let bytes) = response.body { body = bytes }
        return (response.status, (try? JSONParser.parse(body)) ?? .null)
    }

    @Test func systemIsTheReferenceDocument() async {
        let (status, body) = await Self.get("/api/v1/system")
        #expect(status == .ok)
        #expect(body["node"] == ["name": "worker-1", "os": "linux"])
        let system = body["system"] ?? .null
        #expect(system["total_ram_gb"] == 64.0 && system["cpu_cores"] == 16 && system["gpu_count"] == 1)
        #expect(system["gpus"]?.arrayValue?.first?["free_vram_gb"] == 20.0 && system["backend"] == "CUDA")
        // llmfit's fields: the GPU-available cap (macOS only, so null here) and each card's bandwidth.
        #expect(system["gpu_available_gb"] == .null && system["gpu_vram_gb"] == 24.0)
        #expect(system["gpus"]?.arrayValue?.first?["memory_bandwidth_gbps"] == 1008.0)
    }

    @Test(arguments: [
        ("min_fit=best", "invalid min_fit value: use perfect|good|marginal|too_tight"),
        ("runtime=ollama", "invalid runtime value: use any|mlx|llamacpp|vllm"),
        ("use_case=art", "invalid use_case value: use general|coding|reasoning|chat|multimodal|embedding"),
        ("sort=name", "invalid sort value: use score|tps|params|mem|ctx|date|use_case"),
    ])
    func badParametersAre400WithTheReferenceMessage(query: String, message: String) async {
        for path in ["/api/v1/models", "/api/v1/models/top", "/api/v1/models/qwen"] {
            let (status, body) = await Self.get(path + "?" + query)
            #expect(status == .badRequest && body["error"]?.stringValue == message, "\(path)")
        }
    }

    @Test func topDefaultsToFiveRunnableModels() async {
        let (_, body) = await Self.get("/api/v1/models/top?min_fit=too_tight")
        #expect(body["filters"]?["limit"] == 5 && body["filters"]?["include_too_tight"] == false)
        #expect(body["models"]?.arrayValue?.contains { $0["fit_level"] == "too_tight" } == false)
        let (_, all) = await Self.get("/api/v1/models?min_fit=too_tight")
        #expect(all["total_models"] == 3 && all["models"]?.arrayValue?.last?["name"] == "huge/model")
    }

    @Test func theNameInThePathIsASearch() async {
        let (_, body) = await Self.get("/api/v1/models/coder")
        #expect(body["returned_models"] == 1 && body["filters"]?["search"] == "coder")
        #expect(body["filters"]?["limit"] == 20)  // the reference's default for a name
        #expect(body["models"]?.arrayValue?.first?["name"] == "Qwen/Qwen2.5-Coder-7B-Instruct")
    }

    @Test func unknownAPIPathsAre404InTheErrorShape() async {
        let (status, body) = await Self.get("/api/v1/elsewhere")
        #expect(status == .notFound && body["error"]?.stringValue != nil)
    }
}

/// openapi/node.json documents exactly the node router's operations.
@Suite struct NodeOpenAPITests {
    @Test func routerAndDocumentListTheSameOperations() throws {
        var path = #filePath
        for _ in 0..<4 { path = String(path[..<path.lastIndex(of: "/")!]) }
        let document = try JSONParser.parse(try ChildProcess.run("/bin/cat", [path + "/openapi/node.json"]).stdout)
        var documented: Set<String> = []
        for (route, item) in document["paths"]?.objectValue ?? [:] {
            for method in (item.objectValue ?? [:]).keys { documented.insert("\(method.uppercased()) \(route)") }
        }
        let router = NodeRoutes.makeRouter(
            node: NodeIdentity(name: "n", os: "linux"), system: NodeRoutes.SystemSnapshot(NodeRoutesTests.system),
            catalog: [])
        let routed = Set(router.operations.map { "\($0.method.rawValue) \($0.path)" })
        #expect(routed == documented)
        #expect(routed.count == 5)
    }
}
