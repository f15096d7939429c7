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

    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs baton to completion (it must finish within `timeout`), waiting off the cooperative pool.
    static func run(
        _ arguments: [String], input: String? = nil, environment: [String: String] = [:], timeout: TimeInterval = 30
    ) async throws -> Result {
        try await offPool { try runBlocking(arguments, input: input, environment: environment, timeout: timeout) }
    }

    static func runBlocking(
        _ arguments: [String], input: String?, environment: [String: String], timeout: TimeInterval
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let stdin = Pipe()
        process.standardInput = stdin
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        try process.runSerialised()
        // The child may exit without reading (a usage error): a closed pipe is not a test failure.
        if let input { try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8)) }
        try? stdin.fileHandleForWriting.close()
        // Drain both pipes while it runs so a chatty child cannot block on a full pipe.
        let outData = Mutexed<Data>(Data())
        let errData = Mutexed<Data>(Data())
        let group = DispatchGroup()
        for (pipe, sink) in [(out, outData), (err, errData)] {
            group.enter()
            DispatchQueue.global().async {
                sink.set(pipe.fileHandleForReading.readAllRetryingInterrupts())
                group.leave()
            }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData.get(), as: UTF8.self),
            stderr: String(decoding: errData.get(), as: UTF8.self))
    }
}

final class Mutexed<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func get() -> T { lock.withLock { value } }
    func set(_ v: T) { lock.withLock { value = v } }
}
