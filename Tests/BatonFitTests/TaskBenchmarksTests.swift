import BatonTestSupport
import Testing

@testable import BatonFit

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct TaskBenchmarksTests {
    /// The longest pattern the name contains wins; a family without the task's column, or a
    /// task without a column, has no score.
    @Test func theLongestMatchingPatternWins() {
        #expect(TaskBenchmarks.score(lowerName: "qwen/qwen3-coder-30b-a3b-instruct", task: .coding) == 90)
        #expect(TaskBenchmarks.score(lowerName: "qwen/qwen3-8b", task: .coding) == 78)
        #expect(TaskBenchmarks.score(lowerName: "qwen/qwen3.5-27b", task: .reasoning) == 84)
        // "mixtral" and "mistral" are equally long: the table's first wins.
        #expect(TaskBenchmarks.score(lowerName: "mistralai/mixtral-8x7b-instruct-v0.1", task: .chat) == 74)
        #expect(TaskBenchmarks.score(lowerName: "acme/customnet-7b", task: .coding) == nil)
        #expect(TaskBenchmarks.score(lowerName: "qwen/qwen3-8b", task: .general) == nil)
    }

    /// The committed table is what the script makes of the committed source (llmfit's file).
    @Test func theTableIsInStepWithItsScript() async throws {
        var root = #filePath
        for _ in 0..<3 { root = String(root[..<root.lastIndex(of: "/")!]) }
        let output = "/tmp/baton-task-benchmarks-\(getpid()).swift"
        defer { unlink(output) }
        // Waited for on a thread of their own, not one of the cooperative pool's two.
        let run = try await offPool { [root] in
            try ChildProcess.run(
                "/usr/bin/python3",
                [root + "/scripts/make-task-benchmarks.py", root + "/Catalog/source/use_case_benchmarks.json", output])
        }
        #expect(run.status == 0, "make-task-benchmarks: \(run.stderr)")
        let made = try await offPool { [root] in
            try ChildProcess.run("/usr/bin/cmp", [output, root + "/Sources/BatonFit/TaskBenchmarkTable.swift"])
        }
        #expect(made.status == 0, "TaskBenchmarkTable.swift is stale: run scripts/make-task-benchmarks.py")
    }
}
