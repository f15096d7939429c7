import BatonTestSupport
import Foundation

/// Runs the `baton` executable that `swift build` put beside the test bundle.
enum BatonBinary {
    static var path: String {
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundleDir, bundleDir.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("baton")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url.path }
        }
        // `swift test` from the package root with the default build directory.
        return FileManager.default.currentDirectoryPath + "/.build/debug/baton"
    }

    typealias Result = ChildProcess.Result

    /// Runs baton to completion (it is killed after `timeout`), waiting off the cooperative pool.
    static func run(
        _ arguments: [String], input: String? = nil, environment: [String: String] = [:], timeout: TimeInterval = 30
    ) async throws -> Result {
        try await offPool {
            try ChildProcess.run(path, arguments, input: input, environment: environment, timeout: timeout)
        }
    }
}
