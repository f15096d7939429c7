import BatonTestSupport
import Foundation

/// A `baton` process left running (for `serve`), with its output collected as it arrives.
final class RunningBaton: @unchecked Sendable {
    let process = Process()
    private let stdout = Mutexed<String>("")
    private let stderr = Mutexed<String>("")

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: BatonBinary.path)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        for (pipe, sink) in [(out, stdout), (err, stderr)] {
            pipe.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.readSomeRetryingInterrupts()
                if data.isEmpty {
                    handle.readabilityHandler = nil
                } else {
                    sink.set(sink.get() + String(decoding: data, as: UTF8.self))
                }
            }
        }
        try process.runSerialised()
    }

    var output: String { stdout.get() }
    var errors: String { stderr.get() }

    /// Waits for `baton serve` to print its bound address and returns the port.
    func waitForPort(timeout: TimeInterval = 20) async -> Int? {
        (try? await offPool { self.waitForPortBlocking(timeout: timeout) }) ?? nil
    }

    private func waitForPortBlocking(timeout: TimeInterval) -> Int? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = output
            if let range = text.range(of: "listening on http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) { return port }
            }
            if !process.isRunning { return nil }
            usleep(10_000)
        }
        return nil
    }

    /// Sends `signal` and waits for the exit status (nil if it did not exit in time).
    func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 15) async -> Int32? {
        (try? await offPool { self.stopBlocking(signal: signal, timeout: timeout) }) ?? nil
    }

    private func stopBlocking(signal: Int32, timeout: TimeInterval) -> Int32? {
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }
}
