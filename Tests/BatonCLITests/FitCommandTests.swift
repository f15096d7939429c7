import BatonJSON
import BatonTestSupport
import Foundation
import Testing

/// `baton fit`: the node API's analysis as a table or as its JSON document.
@Suite struct FitCommandTests {
    @Test func jsonIsTheModelsEnvelope() async throws {
        let result = try await BatonBinary.run([
            "fit", "--json", "--limit", "3", "--vram-gb", "24", "--gpu-name", "RTX 4090",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let document = try JSONParser.parse(result.stdout)
        #expect(document["returned_models"] == 3 && (document["total_models"]?.intValue ?? 0) >= 3)
        #expect(document["filters"]?["limit"] == 3 && document["filters"]?["sort"] == "score")
        let models = try #require(document["models"]?.arrayValue)
        #expect(models.count == 3)
        let scores = models.compactMap { $0["score"]?.doubleValue }
        #expect(scores == scores.sorted(by: >))
        #expect(models.allSatisfy { $0["fit_level"] != "too_tight" && $0["run_mode"] != nil })
        #expect(document["system"]?["gpu_vram_gb"] == 24.0)
    }

    @Test func theTableHasAHeaderAndOneLinePerModel() async throws {
        let result = try await BatonBinary.run(["fit", "--limit", "4", "--use-case", "coding"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("NAME") == true && lines.first?.contains("SCORE") == true)
        #expect(lines.count == 6)  // header, four rows, the summary line
        #expect(lines.last?.contains("matching models") == true)
    }

    @Test func aBadFilterIsAUsageErrorWithTheAPIsMessage() async throws {
        let result = try await BatonBinary.run(["fit", "--min-fit", "great"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("invalid min_fit value: use perfect|good|marginal|too_tight"))
    }
}
