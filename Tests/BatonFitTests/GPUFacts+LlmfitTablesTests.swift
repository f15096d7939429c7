import BatonTestSupport
import Testing

@testable import BatonFit

/// GPUFacts against llmfit's own tables (issue 19, SPEC §11.7): Fixtures/llmfit-3f44fd3-gpus.tsv
/// holds what llmfit 3f44fd3's bandwidth and compute-capability lookups answer for every pattern
/// they test and for real product names (its header says how it was made). Every name must get
/// the same answers: the per-GPU `memory_bandwidth_gbps`, the speed estimate and the pre-quantised
/// formats' gate all read these.
@Suite struct GPUFactsLlmfitTablesTests {
    @Test func everyNameGetsLlmfitsBandwidthAndComputeCapability() throws {
        var path = #filePath
        path = String(path[..<path.lastIndex(of: "/")!])
        let text = try ChildProcess.run("/bin/cat", [path + "/Fixtures/llmfit-3f44fd3-gpus.tsv"]).stdout
        var names = 0
        var differing: [String] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            try #require(cells.count == 3, "bad fixture line: \(line)")
            let bandwidth = cells[1] == "-" ? nil : try #require(Double(cells[1]), "bad bandwidth: \(line)")
            let capability = GPUFacts.computeCapability(gpuName: cells[0]).map { "\($0.0).\($0.1)" } ?? "-"
            names += 1
            if GPUFacts.bandwidthGBps(gpuName: cells[0]) != bandwidth || capability != cells[2] {
                differing.append(
                    "\(cells[0]): Baton \(GPUFacts.bandwidthGBps(gpuName: cells[0]).map { "\($0)" } ?? "-") \(capability),"
                        + " llmfit \(cells[1]) \(cells[2])")
            }
        }
        print("llmfit GPU tables: \(names - differing.count) of \(names) names agree")
        #expect(names > 500, "the fixture lists too few names")
        #expect(differing.isEmpty, "\(differing.joined(separator: "\n"))")
    }
}
