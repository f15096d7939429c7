import BatonTestSupport
import Foundation

/// A `baton` process left running (for `serve`), with its output collected as it arrives.
final class RunningBaton: Sendable {
    let child: ChildProcess

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        child = try ChildProcess(BatonBinary.path, arguments, environment: environment)
        child.closeInput()
    }

    var output: String { child.output }
    var errors: String { child.errors }

    /// Waits for `baton serve` to print its bound address and returns the port.
    func waitForPort(timeout: TimeInterval = 20) async -> Int? {
        (try? await offPool { self.waitForPortBlocking(timeout: timeout) }) ?? nil
    }

    private func waitForPortBlocking(timeout: TimeInterval) -> Int? {
        let marker = "listening on http://127.0.0.1:"
        guard let text = child.waitForOutput(containing: marker, timeout: timeout),
            let range = text.range(of: marker)
        else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    /// Sends `signal` and waits for the exit status (nil if it did not exit in time; it is then killed).
    func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 15) async -> Int32? {
        (try? await offPool { self.stopBlocking(signal: signal, timeout: timeout) }) ?? nil
    }

    private func stopBlocking(signal: Int32, timeout: TimeInterval) -> Int32? {
        child.signal(signal)
        if let status = child.wait(timeout: timeout) { return status }
        child.kill()
        return nil
    }
}
