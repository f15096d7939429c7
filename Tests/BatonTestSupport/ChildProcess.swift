@_exported import BatonPlatform
import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// The tests' child processes are the product's `Subprocess` (posix_spawn, a reader thread, a
/// waiter thread), with the conveniences below.
public typealias ChildProcess = Subprocess

extension Subprocess {
    /// Starts `executable` (an absolute path) with `arguments`; output is kept up to 64 MiB a stream.
    public convenience init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], mergeStderr: Bool = false
    ) throws {
        try self.init(
            Options(
                executable, arguments, environment: environment, newProcessGroup: false, mergeStderr: mergeStderr,
                captureLimit: 64 << 20))
    }

    /// Runs to completion (killed after `timeout` seconds), feeding `input` on stdin.
    public static func run(
        _ executable: String, _ arguments: [String], input: String? = nil, environment: [String: String] = [:],
        mergeStderr: Bool = false, timeout: Double = 30
    ) throws -> Result {
        let child = try ChildProcess(executable, arguments, environment: environment, mergeStderr: mergeStderr)
        if let input { child.write(input) }
        child.closeInput()
        let status = child.wait(timeout: timeout) ?? child.kill()
        return Result(status: status, stdout: child.output, stderr: child.errors)
    }
}

/// Runs blocking work (a child process, a database open, an fsync) on a dedicated thread so the
/// two cooperative-pool threads stay free for the servers under test.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        OSThread.detach(name: "test-offpool") { continuation.resume(with: Result { try body() }) }
    }
}

/// Starts blocking work (a teardown) on a dedicated thread. The test process waits for it (up to
/// 30 s) when it exits, so a teardown that removes files has removed them when the run ends.
public func detachThread(_ body: @escaping @Sendable () -> Void) {
    Teardowns.group.enter()
    OSThread.detach(name: "test-detached") {
        body()
        Teardowns.group.leave()
    }
}

private enum Teardowns {
    static let group: DispatchGroup = {
        atexit { _ = Teardowns.group.wait(timeout: .now() + 30) }
        return DispatchGroup()
    }()
}

/// Whether `pid` has ended: no such process, or a zombie waiting for its new parent (often PID 1)
/// to reap it, which `kill(pid, 0)` alone still reports as alive.
/// Reads /proc directly (no child process), so it is cheap enough to poll from the pool.
public func processHasEnded(_ pid: pid_t) -> Bool {
    if kill(pid, 0) != 0 { return true }
    let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return true }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 1024)
    let count = read(fd, &buffer, buffer.count)
    guard count > 0 else { return true }
    // pid (comm) STATE …: the state follows the last ')'.
    let stat = buffer[..<count]
    guard let paren = stat.lastIndex(of: UInt8(ascii: ")")) else { return true }
    let state = stat[stat.index(after: paren)...].first { $0 != UInt8(ascii: " ") }
    return state == UInt8(ascii: "Z") || state == UInt8(ascii: "X")
}
