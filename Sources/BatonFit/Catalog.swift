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
            func int(_ key: String) -> Int? { item[key]?.intValue.map(Int.init) }
            var model = CatalogModel(
                name: name, provider: item["provider"]?.stringValue ?? "",
                parameterCount: item["parameter_count"]?.stringValue ?? "", paramsB: params,
                contextLength: int("context_length") ?? 4096,
                useCase: item["use_case"]?.stringValue ?? "General purpose",
                releaseDate: item["release_date"]?.stringValue, isMoE: item["is_moe"]?.boolValue ?? false,
                activeParamsB: item["active_params_b"]?.doubleValue, layers: int("layers"), kvHeads: int("kv_heads"),
                attentionHeads: int("attention_heads"), headDim: int("head_dim"),
                format: item["format"]?.stringValue ?? "gguf",
                quantization: item["quantization"]?.stringValue ?? "Q4_K_M",
                recommendedRAMGB: item["recommended_ram_gb"]?.doubleValue ?? 0)
            model.ggufSources = (item["gguf_sources"]?.arrayValue ?? []).compactMap(\.stringValue)
            return model
        }
    }
}
