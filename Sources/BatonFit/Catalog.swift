import BatonJSON

/// The model catalog the binary carries (Catalog/models.json, converted from llmfit's list by
/// scripts/make-catalog.py; see NOTICE).
public enum Catalog {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Every model, by name; parsed once, on first use.
    public static let models: [CatalogModel] = (try? parse(EmbeddedResources.catalogJSON)) ?? []

    /// Parses the catalog's JSON: an array of model objects. An entry without a name or a positive
    /// parameter count is an error, so a bad conversion fails its tests rather than hiding models.
    public static func parse(_ text: String) throws -> [CatalogModel] {
        guard let items = try JSONParser.parse(text).arrayValue else {
            throw Failure(description: "the catalog must be a JSON array")
        }
        return try items.enumerated().map { index, item in
            guard let name = item["name"]?.stringValue, !name.isEmpty else {
                throw Failure(description: "catalog entry \(index) has no name")
            }
            guard let params = item["params_b"]?.doubleValue, params > 0 else {
                throw Failure(description: "catalog entry \(name) has no parameter count")
            }
            func int(_ key: String) -> Int? { item[key]?.intValue.flatMap { Int(exactly: $0) } }
            return CatalogModel(
                name: name, provider: item["provider"]?.stringValue ?? "",
                parameterCount: item["parameter_count"]?.stringValue ?? "", paramsB: params,
                parametersRaw: item["parameters_raw"]?.intValue, contextLength: int("context_length") ?? 4096,
                useCase: item["use_case"]?.stringValue ?? "General purpose",
                releaseDate: item["release_date"]?.stringValue, isMoE: item["is_moe"]?.boolValue ?? false,
                activeParamsB: item["active_parameters"]?.doubleValue.map { $0 / 1_000_000_000 }
                    ?? item["active_params_b"]?.doubleValue, numExperts: int("num_experts"),
                activeExperts: int("active_experts"), layers: int("layers"), kvHeads: int("kv_heads"),
                attentionHeads: int("attention_heads"), headDim: int("head_dim"), hiddenSize: int("hidden_size"),
                moeIntermediateSize: int("moe_intermediate_size"), vocabSize: int("vocab_size"),
                sharedExpertIntermediateSize: int("shared_expert_intermediate_size"),
                format: item["format"]?.stringValue ?? "gguf",
                quantization: item["quantization"]?.stringValue ?? "Q4_K_M",
                minRAMGB: item["min_ram_gb"]?.doubleValue,
                recommendedRAMGB: item["recommended_ram_gb"]?.doubleValue ?? 0,
                minVRAMGB: item["min_vram_gb"]?.doubleValue, architecture: item["architecture"]?.stringValue,
                license: item["license"]?.stringValue,
                capabilities: (item["capabilities"]?.arrayValue ?? []).compactMap {
                    $0.stringValue.flatMap(Capability.init(rawValue:))
                }, ggufSources: (item["gguf_sources"]?.arrayValue ?? []).compactMap(\.stringValue))
        }
    }
}
