import BatonTestSupport
import Testing

@testable import BatonFit

/// GPUFacts against llmfit's own tables (issue 19, SPEC §11.7): Fixtures/llmfit-3f44fd3-gpus.tsv
/// holds what llmfit 3f44fd3 answers, name by name, for every pattern its tables test and for
/// real product names (its header says how it was made). Every name must get the same answers:
/// the per-GPU `memory_bandwidth_gbps`, the speed estimate and the pre-quantised formats' gate
/// all read these.
@Suite struct GPUFactsLlmfitTablesTests {
    /// One fixture line: the name and llmfit's answers as written there.
    struct Line {
        var name: String
        var bandwidth: String
        var computeCapability: String
        /// y/n: integrated by name, AMD mobile iGPU, integrated (no VRAM), integrated (16 GiB),
        /// placeholder, NVIDIA shared memory.
        var flags: [Bool]
    }

    static func lines() throws -> [Line] {
        var path = #filePath
        path = String(path[..<path.lastIndex(of: "/")!])
        let text = try ChildProcess.run("/bin/cat", [path + "/Fixtures/llmfit-3f44fd3-gpus.tsv"]).stdout
        return try text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            try #require(cells.count == 4 && cells[3].count == 6, "bad fixture line: \(line)")
            return Line(
                name: cells[0], bandwidth: cells[1], computeCapability: cells[2], flags: cells[3].map { $0 == "y" })
        }
    }

    @Test func everyNameGetsLlmfitsBandwidthAndComputeCapability() throws {
        let lines = try Self.lines()
        var differing: [String] = []
        for line in lines {
            let bandwidth = GPUFacts.bandwidthGBps(gpuName: line.name).map { "\($0)" } ?? "-"
            let capability = GPUFacts.computeCapability(gpuName: line.name).map { "\($0.0).\($0.1)" } ?? "-"
            let expected = line.bandwidth == "-" ? "-" : try #require(Double(line.bandwidth)).description
            if bandwidth != expected || capability != line.computeCapability {
                differing.append(
                    "\(line.name): Baton \(bandwidth) \(capability), llmfit \(line.bandwidth) \(line.computeCapability)"
                )
            }
        }
        print("llmfit GPU tables: \(lines.count - differing.count) of \(lines.count) names agree")
        #expect(lines.count > 500, "the fixture lists too few names")
        #expect(differing.isEmpty, "\(differing.joined(separator: "\n"))")
    }
}
