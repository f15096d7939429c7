import BatonTestSupport
import Foundation

/// A `baton` process left running (for `serve`), with its output collected as it arrives.
final class RunningBaton: Sendable {
    let child: ChildProcess

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        child = try ChildProcess(BatonBinary.path, arguments, environment: environment)
        child.closeInput()
    }

    /// A test that fails before `stop()` (a failed `#require` leaves the scope) must not leave its
    /// `baton serve` running for the rest of the suite.
    deinit {
        if child.isRunning { _ = child.kill() }
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
    /// `baton serve` and `baton node` take over SIGTERM and SIGINT a moment after they print their
    /// address; the signal waits for that, since one sent before would end the process at once.
    func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 15) async -> Int32? {
        // Ends as soon as the handlers are in; the bound only ends a hang (a signal sent before
        // them ends the process at once, which a loaded machine must not make a test see).
        _ = await eventually(timeout: .seconds(30)) { !child.isRunning || handles(signal) }
        return (try? await offPool { self.stopBlocking(signal: signal, timeout: timeout) }) ?? nil
    }

    /// Whether the process ignores or catches `signal` (SigIgn, SigCgt in /proc/<pid>/status).
    func handles(_ signal: Int32) -> Bool {
        let fd = open("/proc/\(child.pid)/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 8192)
        let count = read(fd, &buffer, buffer.count)
        guard count > 0 else { return false }
        let bit = UInt64(1) << UInt64(signal - 1)
        return String(decoding: buffer[..<count], as: UTF8.self).split(separator: "\n").contains { line in
            (line.hasPrefix("SigIgn:") || line.hasPrefix("SigCgt:"))
                && (UInt64(line.split(separator: "\t").last ?? "", radix: 16) ?? 0) & bit != 0
        }
    }

    private func stopBlocking(signal: Int32, timeout: TimeInterval) -> Int32? {
        child.signal(signal)
        if let status = child.wait(timeout: timeout) { return status }
        child.kill()
        return nil
    }
}

/// Removes a data directory and what `baton serve` makes beside it: `<dir>-workspaces`, its local
/// workers' workspaces root.
func removeDataDirectory(_ dir: String) {
    for path in [dir, dir + "-workspaces"] { try? FileManager.default.removeItem(atPath: path) }
}
