import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// A child process: posix_spawn with its own process group, pipes drained by a reader thread
/// while it runs (a chatty child can never block on a full pipe), output kept within a bound,
/// and a waiter thread that reaps it. Hooks, agent CLIs and the tests all start children here.
/// A supervised child (`Options.supervisor`) is started by its supervisor, which leads its group:
/// `pid` is then the supervisor's, which exits with the child's status.
///
/// Not Foundation's `Process`: Baton keeps Foundation out of the server, and `Process` crashed the
/// test process when many children were spawned at once.
public final class Subprocess: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `state`.

    public struct Options: Sendable {
        public var executable: String
        public var arguments: [String]
        /// Added to (or replacing entries of) this process's environment.
        public var environment: [String: String]
        /// The child's working directory; nil keeps ours.
        public var directory: String?
        /// Start a new process group led by the child, so `signalGroup` reaches its whole tree.
        public var newProcessGroup: Bool
        /// The child's stderr goes to its stdout pipe.
        public var mergeStderr: Bool
        /// Bytes kept per stream: the first half and the last half; the middle is counted, not kept.
        public var captureLimit: Int
        /// Called on the reader thread with each complete stdout line (without the newline).
        public var onStdoutLine: (@Sendable (String) -> Void)?
        /// Longest line given to `onStdoutLine`, whole; longer ones are cut there (nil: `captureLimit`).
        /// A protocol peer may send one large message while only a little output is worth keeping.
        public var lineLimit: Int?
        /// false: the child gets `environment` only, none of this process's (agents and hooks,
        /// which must not see Baton's own variables).
        public var inheritEnvironment = true
        /// The Landlock sandbox the child runs in; nil: none.
        public var sandbox: Sandbox?
        /// Started under this supervisor, which ends the child's whole group when its lifeline ends
        /// (SPEC §7.14); nil: none. It leads the child's group, so it needs one of its own
        /// (`newProcessGroup`, or the session a sandbox gives); without one it is not used.
        public var supervisor: Supervisor?

        public init(
            _ executable: String, _ arguments: [String] = [], environment: [String: String] = [:],
            directory: String? = nil, newProcessGroup: Bool = true, mergeStderr: Bool = false,
            captureLimit: Int = 1 << 20, onStdoutLine: (@Sendable (String) -> Void)? = nil
        ) {
            self.executable = executable
            self.arguments = arguments
            self.environment = environment
            self.directory = directory
            self.newProcessGroup = newProcessGroup
            self.mergeStderr = mergeStderr
            self.captureLimit = captureLimit
            self.onStdoutLine = onStdoutLine
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// A finished child: exit code (128 + signal when a signal ended it) and what it printed.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String

        public init(status: Int32, stdout: String, stderr: String) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    public let pid: pid_t
    public let options: Options
    private var stdinFD: Int32
    private let state = ConditionLock()
    private var out = BoundedBuffer(limit: 0)
    private var err = BoundedBuffer(limit: 0)
    private var readerDone = false
    private var exitStatus: Int32?
    private var exitWaiters: [CheckedContinuation<Int32, Never>] = []

    public init(_ options: Options) throws {
        Self.ignoreSIGPIPE
        self.options = options
        // Close-on-exec on every end in the parent: a child spawned at the same moment by another
        // thread must not inherit our write ends, or our reader would never see end of file.
        var inPipe: [Int32] = [0, 0]
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard baton_pipe_cloexec(&inPipe) == 0 else { throw Failure(description: "pipe: \(errno)") }
        guard baton_pipe_cloexec(&outPipe) == 0 else {
            close(inPipe[0])
            close(inPipe[1])
            throw Failure(description: "pipe: \(errno)")
        }
        guard baton_pipe_cloexec(&errPipe) == 0 else {
            for fd in inPipe + outPipe { close(fd) }
            throw Failure(description: "pipe: \(errno)")
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears close-on-exec on the target; everything from 3 up is closed in the child,
        // including descriptors of ours that were opened without close-on-exec.
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, options.mergeStderr ? outPipe[1] : errPipe[1], 2)
        // A supervised child: its supervisor is started in its place and starts it, given the
        // lifeline as descriptor 3 and the sandbox's ruleset as 4 (it enters the sandbox itself).
        var argv = [options.executable] + options.arguments
        var executable = options.executable
        var ruleset: Int32 = -1
        defer { if ruleset >= 0 { close(ruleset) } }
        let supervisor = options.newProcessGroup || options.sandbox != nil ? options.supervisor : nil
        if let supervisor {
            posix_spawn_file_actions_adddup2(&actions, supervisor.lifeline.readFD, 3)
            if let sandbox = options.sandbox {
                do {
                    let made = try sandbox.makeRuleset()
                    ruleset = baton_dup_cloexec_above(made, 10)
                    close(made)
                    if ruleset < 0 { throw Sandbox.Failure(description: String(cString: strerror(errno))) }
                } catch {
                    for fd in inPipe + outPipe + errPipe { close(fd) }
                    throw Failure(description: "cannot start \(options.executable) in its sandbox: \(error)")
                }
                posix_spawn_file_actions_adddup2(&actions, ruleset, 4)
            }
            argv = supervisor.arguments(argv, sandbox: options.sandbox != nil)
            executable = supervisor.executable
        }
        baton_spawn_close_from(&actions, supervisor == nil ? 3 : options.sandbox == nil ? 4 : 5)
        if let directory = options.directory { baton_spawn_chdir(&actions, directory) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        Subprocess.resetSignals(&attributes)
        posix_spawnattr_setpgroup(&attributes, 0)
        // A sandboxed child gets a session of its own (which leads a process group as well).
        posix_spawnattr_setflags(
            &attributes, baton_spawn_flags(options.newProcessGroup ? 1 : 0, options.sandbox != nil ? 1 : 0))

        let envp =
            options.inheritEnvironment
            ? Self.mergedEnvironment(options.environment) : options.environment.map { "\($0.key)=\($0.value)" }.sorted()
        var child = pid_t()
        var rc: Int32
        if let sandbox = options.sandbox, supervisor == nil {
            // Spawned from a thread that restricts itself first (Sandbox.run); the pointers stay
            // valid because run waits for that thread.
            let spawn = SpawnCall(actions: &actions, attributes: &attributes, executable: options.executable)
            let command = argv
            do {
                (rc, child) = try sandbox.run { spawn.call(argv: command, envp: envp) }
            } catch {
                for fd in inPipe + outPipe + errPipe { close(fd) }
                throw Failure(description: "cannot start \(options.executable) in its sandbox: \(error)")
            }
        } else {
            rc = withCStrings(argv) { cArgv in
                withCStrings(envp) { cEnvp in
                    posix_spawn(&child, executable, &actions, &attributes, cArgv, cEnvp)
                }
            }
        }
        close(inPipe[0])
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            close(inPipe[1])
            close(outPipe[0])
            close(errPipe[0])
            let under = supervisor.map { " (its supervisor \($0.executable))" } ?? ""
            throw Failure(description: "cannot start \(options.executable)\(under): \(String(cString: strerror(rc)))")
        }
        pid = child
        stdinFD = inPipe[1]
        out = BoundedBuffer(limit: options.captureLimit)
        err = BoundedBuffer(limit: options.captureLimit)
        let outFD = outPipe[0]
        let errFD = errPipe[0]
        OSThread.detach(name: "child-output") { [self] in self.readUntilEOF(outFD, errFD) }
        OSThread.detach(name: "child-wait") { [self] in self.reap() }
    }

    /// Runs `sh -c script` (hooks, the `command` runner).
    public static func shell(
        _ script: String, directory: String? = nil, environment: [String: String] = [:], captureLimit: Int = 1 << 20
    ) throws -> Subprocess {
        try Subprocess(
            Options(
                "/bin/sh", ["-c", script], environment: environment, directory: directory, captureLimit: captureLimit))
    }

    // MARK: Input

    /// Writes to the child's stdin; false when the child no longer reads it (it exited or closed it).
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let fd = state.withLock { stdinFD }
            guard fd >= 0 else { return false }
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                offset += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }

    @discardableResult
    public func write(_ text: String) -> Bool { write(Array(text.utf8)) }

    /// Closes the child's stdin: it sees end of file.
    public func closeInput() {
        let fd = state.withLock { () -> Int32 in
            let fd = stdinFD
            stdinFD = -1
            return fd
        }
        if fd >= 0 { close(fd) }
    }

    // MARK: Output

    /// What the child has printed on stdout so far (bounded; see `Options.captureLimit`).
    public var output: String { state.withLock { out.text } }
    /// What the child has printed on stderr so far (bounded).
    public var errors: String { state.withLock { err.text } }
    /// Bytes printed but not kept, on stdout and stderr together.
    public var droppedBytes: Int { state.withLock { out.dropped + err.dropped } }

    /// Waits until stdout contains `text`, the output ends, or `timeout` seconds pass.
    public func waitForOutput(containing text: String, timeout: Double) -> String? {
        let deadline = Self.now() + timeout
        return state.withLock {
            while true {
                let current = out.text
                if current.contains(text) { return current }
                if readerDone { return nil }
                let left = deadline - Self.now()
                if left <= 0 { return nil }
                state.wait(milliseconds: max(1, min(100, Int(left * 1000))))
            }
        }
    }

    // MARK: Exit

    /// Whether the child has not been reaped yet.
    public var isRunning: Bool { state.withLock { exitStatus == nil } }

    /// Sends `signal` to the child alone (not after it was reaped: its pid may be reused).
    public func signal(_ signal: Int32) {
        state.withLock { if exitStatus == nil { _ = Glibc.kill(pid, signal) } }
    }

    /// Sends `signal` to the child's whole process group (its children too). The group outlives
    /// the child while grandchildren still run, so this is sent even after the child was reaped.
    public func signalGroup(_ signal: Int32) {
        if options.newProcessGroup {
            _ = Glibc.kill(-pid, signal)
        } else {
            self.signal(signal)
        }
    }

    /// Waits (blocking) up to `timeout` seconds for the child to exit; nil on timeout. Its output
    /// is waited for briefly after exit: a grandchild may hold the pipes open.
    public func wait(timeout: Double) -> Int32? {
        let deadline = Self.now() + timeout
        return state.withLock {
            while exitStatus == nil {
                let left = deadline - Self.now()
                if left <= 0 { return nil }
                state.wait(milliseconds: max(1, Int(left * 1000)))
            }
            let outputDeadline = min(deadline, Self.now() + 0.5)
            while !readerDone {
                let left = outputDeadline - Self.now()
                if left <= 0 { break }
                state.wait(milliseconds: max(1, Int(left * 1000)))
            }
            return exitStatus
        }
    }

    /// The exit code, without blocking a thread; by then the output has been read (or 0.5 s passed).
    public func exitCode() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status = state.withLock { () -> Int32? in
                if let exitStatus { return exitStatus }
                exitWaiters.append(continuation)
                return nil
            }
            if let status { continuation.resume(returning: status) }
        }
    }

    /// SIGTERM to the group, SIGKILL after `grace` seconds if anything of it is still running;
    /// returns the exit code.
    @discardableResult
    public func terminate(grace: Double = 2) -> Int32 {
        signalGroup(SIGTERM)
        if let status = wait(timeout: grace) {
            signalGroup(SIGKILL)  // grandchildren that ignored SIGTERM
            return status
        }
        signalGroup(SIGKILL)
        return wait(timeout: 30) ?? 137
    }

    /// SIGKILL to the group and wait.
    @discardableResult
    public func kill() -> Int32 {
        signalGroup(SIGKILL)
        return wait(timeout: 30) ?? 137
    }

    deinit {
        if stdinFD >= 0 { close(stdinFD) }
        // The waiter thread holds a reference until the child is reaped, so by now it has been.
    }

    /// Runs to completion (the group is killed after `timeout` seconds), feeding `input` on stdin.
    public static func run(_ options: Options, input: String? = nil, timeout: Double = 30) throws -> Result {
        let child = try Subprocess(options)
        if let input { child.write(input) }
        child.closeInput()
        let status = child.wait(timeout: timeout) ?? child.kill()
        return Result(status: status, stdout: child.output, stderr: child.errors)
    }

    // MARK: Threads

    private func reap() {
        var raw: Int32 = 0
        var rc: pid_t
        repeat { rc = waitpid(pid, &raw, 0) } while rc < 0 && errno == EINTR
        let status = rc == pid ? baton_exit_code(raw) : -1
        let waiters = state.withLock { () -> [CheckedContinuation<Int32, Never>] in
            // Let the reader drain what the child wrote before it exited (bounded: a grandchild
            // may hold the pipes open), so an awaited exit comes with the complete output.
            let deadline = Self.now() + 0.5
            while !readerDone {
                let left = deadline - Self.now()
                if left <= 0 { break }
                state.wait(milliseconds: max(1, Int(left * 1000)))
            }
            exitStatus = status
            state.broadcast()
            defer { exitWaiters = [] }
            return exitWaiters
        }
        for waiter in waiters { waiter.resume(returning: status) }
    }

    private func readUntilEOF(_ outFD: Int32, _ errFD: Int32) {
        var fds = [
            pollfd(fd: outFD, events: Int16(POLLIN), revents: 0), pollfd(fd: errFD, events: Int16(POLLIN), revents: 0),
        ]
        var buffer = [UInt8](repeating: 0, count: 65536)
        var partialLine: [UInt8] = []
        let lineLimit = max(4096, options.lineLimit ?? options.captureLimit)
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
                let chunk = buffer[0..<n]
                state.withLock {
                    if i == 0 { out.append(chunk) } else { err.append(chunk) }
                    state.broadcast()
                }
                if i == 0, let onLine = options.onStdoutLine {
                    buffer.withUnsafeBufferPointer { all in
                        Self.splitLines(
                            UnsafeBufferPointer(rebasing: all[0..<n]), partial: &partialLine, limit: lineLimit,
                            emit: onLine)
                    }
                }
            }
        }
        if !partialLine.isEmpty, let onLine = options.onStdoutLine {
            onLine(String(decoding: partialLine, as: UTF8.self))
        }
        state.withLock {
            readerDone = true
            state.broadcast()
        }
    }

    /// Calls `emit` for every complete line in `bytes`, carrying an unfinished one in `partial`
    /// (kept to `limit` bytes). memchr finds the newlines: a child may print megabytes without one.
    static func splitLines(
        _ bytes: UnsafeBufferPointer<UInt8>, partial: inout [UInt8], limit: Int, emit: (String) -> Void
    ) {
        guard let base = bytes.baseAddress else { return }
        var start = 0
        while start < bytes.count {
            let rest = bytes.count - start
            let hit = memchr(base + start, 0x0A, rest)
            let end = hit.map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? bytes.count
            let take = min(max(0, limit - partial.count), end - start)
            if take > 0 { partial.append(contentsOf: UnsafeBufferPointer(start: base + start, count: take)) }
            if hit == nil { return }
            emit(String(decoding: partial, as: UTF8.self))
            partial.removeAll(keepingCapacity: true)
            start = end + 1
        }
    }

    private static let ignoreSIGPIPE: Void = { _ = Glibc.signal(SIGPIPE, SIG_IGN) }()

    /// Seconds on the monotonic clock (for timeouts measured by callers).
    public static func monotonicSeconds() -> Double { now() }

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
            let name = String(text.prefix { $0 != "=" })
            if extra[name] == nil { entries.append(text) }
            pointer += 1
        }
        for (name, value) in extra.sorted(by: { $0.key < $1.key }) { entries.append("\(name)=\(value)") }
        return entries
    }
}

/// The first and last `limit / 2` bytes of a stream, and how many bytes in between were dropped.
struct BoundedBuffer {
    let limit: Int
    private(set) var head: [UInt8] = []
    private(set) var tail: [UInt8] = []
    private(set) var dropped = 0

    init(limit: Int) { self.limit = max(0, limit) }

    mutating func append(_ bytes: ArraySlice<UInt8>) {
        let headRoom = limit / 2 - head.count
        var rest = bytes[...]
        if headRoom > 0 {
            head.append(contentsOf: rest.prefix(headRoom))
            rest = rest.dropFirst(headRoom)
        }
        guard !rest.isEmpty else { return }
        tail.append(contentsOf: rest)
        let keep = limit - limit / 2
        // Trim in large steps so the buffer is not shifted on every small write.
        if tail.count > 2 * max(keep, 1) || (keep == 0 && !tail.isEmpty) {
            let excess = tail.count - keep
            dropped += excess
            tail.removeFirst(excess)
        }
    }

    var text: String {
        var tailKept = tail
        var extra = 0
        let keep = limit - limit / 2
        if tailKept.count > keep {
            extra = tailKept.count - keep
            tailKept.removeFirst(extra)
        }
        let skipped = dropped + extra
        if skipped == 0 { return String(decoding: head + tailKept, as: UTF8.self) }
        return String(decoding: head, as: UTF8.self) + "\n[… \(skipped) bytes not kept …]\n"
            + String(decoding: tailKept, as: UTF8.self)
    }
}

/// Calls `body` with a NULL-terminated C array of the strings (valid only during the call).
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { for pointer in copies { free(pointer) } }
    return copies.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// One posix_spawn call, carried to the sandbox's thread. @unchecked: the pointers are to the
/// caller's locals, which outlive the call because the caller waits for it.
private struct SpawnCall: @unchecked Sendable {
    let actions: UnsafeMutablePointer<posix_spawn_file_actions_t>
    let attributes: UnsafeMutablePointer<posix_spawnattr_t>
    let executable: String

    init(
        actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, attributes: UnsafeMutablePointer<posix_spawnattr_t>,
        executable: String
    ) {
        self.actions = actions
        self.attributes = attributes
        self.executable = executable
    }

    func call(argv: [String], envp: [String]) -> (Int32, pid_t) {
        var child = pid_t()
        let rc = withCStrings(argv) { cArgv in
            withCStrings(envp) { cEnvp in posix_spawn(&child, executable, actions, attributes, cArgv, cEnvp) }
        }
        return (rc, child)
    }
}

extension Subprocess {
    /// Default dispositions for the signals Baton handles or ignores, and an empty mask, in a
    /// spawned child whatever this process ignores or blocks (the supervisor's child too).
    static func resetSignals(_ attributes: inout posix_spawnattr_t) {
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
    }
}
