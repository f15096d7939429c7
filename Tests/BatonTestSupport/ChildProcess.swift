import BatonPlatform
import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with posix_spawn, its output collected by one dedicated thread.
///
/// Why not Foundation's `Process`: on Linux it crashed the test process (in `run()`, in libdispatch's
/// event loop behind `readabilityHandler`, and on EINTR in `readDataToEndOfFile`) when many tests
/// spawned children at once. This uses only posix_spawn, pipe2, poll and waitpid.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: the buffers and exit status are touched only under `state`.
    public let pid: pid_t
    private var stdinFD: Int32
    private let state = ConditionLock()
    private var out: [UInt8] = []
    private var err: [UInt8] = []
    private var readerDone = false
    private var exitStatus: Int32?

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Finished child: exit status (128 + signal when killed by one) and what it printed.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Starts `executable` (an absolute path) with `arguments`. `environment` entries are added to,
    /// or replace, this process's own. With `mergeStderr` the child's stderr goes to its stdout pipe.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], mergeStderr: Bool = false
    ) throws {
        Self.ignoreSIGPIPE
        // O_CLOEXEC on every end in the parent: a child spawned concurrently by another test must
        // not inherit our write ends, or our reader would never see end of file.
        var inPipe: [Int32] = [0, 0]
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard baton_pipe_cloexec(&inPipe) == 0 else { throw Failure(description: "pipe2: \(errno)") }
        guard baton_pipe_cloexec(&outPipe) == 0 else { throw Failure(description: "pipe2: \(errno)") }
        guard baton_pipe_cloexec(&errPipe) == 0 else { throw Failure(description: "pipe2: \(errno)") }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears FD_CLOEXEC on the target.
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, mergeStderr ? outPipe[1] : errPipe[1], 2)
        // Test clients' sockets are not all close-on-exec: a child holding one open would keep a
        // connection alive after the test closed it.
        baton_spawn_close_from(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with default signal dispositions (the test runner may ignore SIGPIPE).
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = [executable] + arguments
        let envp = Self.mergedEnvironment(environment)
        var child = pid_t()
        let rc = withCStrings(argv) { cArgv in
            withCStrings(envp) { cEnvp in
                posix_spawn(&child, executable, &actions, &attributes, cArgv, cEnvp)
            }
        }
        close(inPipe[0])
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            close(inPipe[1])
            close(outPipe[0])
            close(errPipe[0])
            throw Failure(description: "posix_spawn \(executable): \(String(cString: strerror(rc)))")
        }
        pid = child
        stdinFD = inPipe[1]
        let outFD = outPipe[0]
        let errFD = errPipe[0]
        OSThread.detach(name: "child-reader") { [self] in self.readUntilEOF(outFD, errFD) }
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

    /// Writes to the child's stdin; a child that exited without reading is not an error here.
    public func write(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count, stdinFD >= 0 {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(stdinFD, $0.baseAddress, $0.count) }
            if n > 0 {
                offset += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    /// Closes the child's stdin (it sees end of file).
    public func closeInput() {
        if stdinFD >= 0 {
            close(stdinFD)
            stdinFD = -1
        }
    }

    /// Everything the child has printed on stdout so far.
    public var output: String { state.withLock { String(decoding: out, as: UTF8.self) } }
    /// Everything the child has printed on stderr so far.
    public var errors: String { state.withLock { String(decoding: err, as: UTF8.self) } }

    /// Whether the child has not yet exited (reaps it if it has).
    public var isRunning: Bool { reap(block: false) == nil }

    /// Sends `signal` to the child (ignored once it has been reaped).
    public func signal(_ signal: Int32) {
        if isRunning { Glibc.kill(pid, signal) }
    }

    /// Waits up to `timeout` seconds for the child to exit and its output to end; nil on timeout.
    public func wait(timeout: Double) -> Int32? {
        let deadline = Self.now() + timeout
        while true {
            if let status = reap(block: false) {
                // Output may still be in flight from a grandchild holding the pipe: bounded wait.
                state.withLock {
                    while !readerDone {
                        let left = deadline - Self.now()
                        if left <= 0 { break }
                        state.wait(milliseconds: max(1, Int(left * 1000)))
                    }
                }
                return status
            }
            if Self.now() >= deadline { return nil }
            usleep(5_000)
        }
    }

    /// SIGKILL and wait: the status the child ended with.
    @discardableResult
    public func kill() -> Int32 {
        if isRunning { Glibc.kill(pid, SIGKILL) }
        return wait(timeout: 30) ?? 137
    }

    /// Waits for the child's output until it contains `text`, or the child exits, or the time runs out.
    public func waitForOutput(containing text: String, timeout: Double) -> String? {
        let deadline = Self.now() + timeout
        return state.withLock {
            while true {
                let current = String(decoding: out, as: UTF8.self)
                if current.contains(text) { return current }
                if readerDone { return nil }
                let left = deadline - Self.now()
                if left <= 0 { return nil }
                state.wait(milliseconds: max(1, min(100, Int(left * 1000))))
            }
        }
    }

    deinit {
        closeInput()
        if reap(block: false) == nil {
            Glibc.kill(pid, SIGKILL)
            _ = reap(block: true)
        }
    }

    // MARK: - Internals

    private func reap(block: Bool) -> Int32? {
        state.lock()
        if let exitStatus {
            state.unlock()
            return exitStatus
        }
        state.unlock()
        var raw: Int32 = 0
        var rc: pid_t
        repeat { rc = waitpid(pid, &raw, block ? 0 : WNOHANG) } while rc < 0 && errno == EINTR
        guard rc == pid else { return nil }
        // WIFEXITED / WEXITSTATUS / WTERMSIG by hand: the macros are not imported into Swift.
        let signal = raw & 0x7f
        let status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
        state.withLock { exitStatus = status }
        return status
    }

    private func readUntilEOF(_ outFD: Int32, _ errFD: Int32) {
        var fds = [
            pollfd(fd: outFD, events: Int16(POLLIN), revents: 0), pollfd(fd: errFD, events: Int16(POLLIN), revents: 0),
        ]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while fds.contains(where: { $0.fd >= 0 }) {
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            for i in fds.indices where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fds[i].fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    close(fds[i].fd)
                    fds[i].fd = -1  // poll ignores negative descriptors
                    continue
                }
                state.withLock {
                    if i == 0 { out.append(contentsOf: buffer[0..<n]) } else { err.append(contentsOf: buffer[0..<n]) }
                    state.broadcast()
                }
            }
        }
        state.withLock {
            readerDone = true
            state.broadcast()
        }
    }

    private static let ignoreSIGPIPE: Void = { _ = Glibc.signal(SIGPIPE, SIG_IGN) }()

    private static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    private static func mergedEnvironment(_ extra: [String: String]) -> [String] {
        var entries: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            let name = text.prefix { $0 != "=" }
            if extra[String(name)] == nil { entries.append(text) }
            pointer += 1
        }
        for (name, value) in extra.sorted(by: { $0.key < $1.key }) { entries.append("\(name)=\(value)") }
        return entries
    }
}

/// Calls `body` with a NULL-terminated C array of the strings (valid only during the call).
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { for pointer in copies { free(pointer) } }
    return copies.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// Runs blocking work (a child process, a database open, an fsync) on a dedicated thread so the
/// two cooperative-pool threads stay free for the servers under test.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        OSThread.detach(name: "test-offpool") { continuation.resume(with: Result { try body() }) }
    }
}

/// Starts fire-and-forget blocking work (a teardown) on a dedicated thread.
public func detachThread(_ body: @escaping @Sendable () -> Void) {
    OSThread.detach(name: "test-detached", body)
}
