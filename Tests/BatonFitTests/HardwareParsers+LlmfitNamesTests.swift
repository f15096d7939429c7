import Testing

@testable import BatonFit

/// The GPU-name judgements detection makes, against llmfit 3f44fd3's own (issue 19, SPEC §11.2):
/// the six y/n columns of Fixtures/llmfit-3f44fd3-gpus.tsv (see GPUFactsLlmfitTablesTests).
@Suite struct HardwareParsersLlmfitNamesTests {
    @Test func everyNameIsJudgedAsLlmfitJudgesIt() throws {
        let lines = try GPUFactsLlmfitTablesTests.lines()
        var differing: [String] = []
        for line in lines {
            let ours = [
                HardwareParsers.isIntegratedGPUName(line.name), HardwareParsers.isAMDMobileIGPUName(line.name),
                HardwareParsers.isIntegratedGPU(name: line.name, vramGB: nil),
                HardwareParsers.isIntegratedGPU(name: line.name, vramGB: 16),
                HardwareParsers.isPlaceholderName(line.name),
                GPUFacts.isNVIDIAUnifiedMemory(line.name),
            ]
            if ours != line.flags { differing.append("\(line.name): Baton \(ours), llmfit \(line.flags)") }
        }
        let judged = lines.filter { $0.flags.contains(true) }.count
        print("llmfit GPU names: \(lines.count - differing.count) of \(lines.count) agree (\(judged) with a yes)")
        #expect(judged >= 40, "the fixture holds too few integrated, placeholder or shared-memory names")
        #expect(differing.isEmpty, "\(differing.joined(separator: "\n"))")
    }
}
