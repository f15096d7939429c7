import CLinux
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A pipe whose write end this process alone holds (close-on-exec, so no child ever inherits it)
/// and whose read end its supervised children's supervisors hold (SPEC §7.14). The write end
/// closes when this process exits, however it ends (SIGKILL included), or when `cut()` is called:
/// each supervisor then sees end of file and kills its process group.
public final class Lifeline: Sendable {
    /// The read end, numbered 10 or above (so moving it to a child's descriptor 3 never lands on
    /// itself), close-on-exec.
    let readFD: Int32
    private let writeFD: Mutex<Int32>

    public init() throws(Subprocess.Failure) {
        var fds: [Int32] = [0, 0]
        guard baton_pipe_cloexec(&fds) == 0 else {
            throw Subprocess.Failure(description: "pipe: \(String(cString: strerror(errno)))")
        }
        let high = baton_dup_cloexec_above(fds[0], 10)
        let reason = errno
        close(fds[0])
        guard high >= 0 else {
            close(fds[1])
            throw Subprocess.Failure(description: "fcntl(F_DUPFD_CLOEXEC): \(String(cString: strerror(reason)))")
        }
        readFD = high
        writeFD = Mutex(fds[1])
    }

    /// Closes the write end: every supervisor on this lifeline kills its group at once.
    public func cut() {
        let fd = writeFD.withLock { fd in
            defer { fd = -1 }
            return fd
        }
        if fd >= 0 { close(fd) }
    }

    deinit {
        cut()
        close(readFD)
    }
}

/// A child's supervisor (SPEC §7.14): this program started again as `<executable> __supervise
/// --lifeline-fd 3 [--sandbox-fd 4] -- <command> <args…>` in the child's place, so it leads the
/// child's process group (or session). It enters the sandbox when given one, starts the command in
/// its own group with default signal dispositions and nothing but stdin, stdout and stderr, waits
/// for it and exits with its status. When its lifeline ends first (the worker is gone), it kills
/// the whole group with SIGKILL, itself included.
///
/// So an agent never outlives the worker that started it. `PR_SET_PDEATHSIG` would not do: it
/// follows the thread that spawned the child (a sandboxed child is spawned from a thread that ends
/// at once) and reaches one process, not the group its children are in.
public struct Supervisor: Sendable {
    /// The hidden subcommand `baton` routes to `main`.
    public static let command = "__supervise"

    /// The program run as supervisor; it must route `command` to `Supervisor.main`.
    public var executable: String
    public var lifeline: Lifeline

    public init(executable: String, lifeline: Lifeline) {
        self.executable = executable
        self.lifeline = lifeline
    }

    private static let installed = Mutex<Supervisor?>(nil)

    /// The supervisor this process gives the children that ask for the installed one (the worker
    /// side's agents, hooks and git calls); nil until `install`, as in tests that run runners
    /// in-process.
    public static var current: Supervisor? { installed.withLock { $0 } }

    /// Makes `executable` (by default this very program, through /proc/self/exe, which stays
    /// valid when the file is replaced) the supervisor of those children, on a lifeline held
    /// until this process exits. Nothing is installed when the executable cannot be run.
    public static func install(executable: String = "/proc/self/exe") throws(Subprocess.Failure) {
        guard access(executable, X_OK) == 0 else {
            throw Subprocess.Failure(
                description: "cannot run \(executable) as a supervisor: \(String(cString: strerror(errno)))")
        }
        let supervisor = Supervisor(executable: executable, lifeline: try Lifeline())
        installed.withLock { $0 = supervisor }
    }

    /// The arguments that start `argv` under this supervisor, whose descriptor 3 is the lifeline
    /// and 4, with `sandbox`, the Landlock ruleset to enter.
    func arguments(_ argv: [String], sandbox: Bool) -> [String] {
        [executable, Self.command, "--lifeline-fd", "3"] + (sandbox ? ["--sandbox-fd", "4"] : []) + ["--"] + argv
    }

    // MARK: The supervisor process

    /// `__supervise`'s arguments (after the subcommand). Never returns: exits with the command's
    /// status (128 + the signal when a signal ended it), 126 when the sandbox cannot be entered,
    /// 127 when the command cannot be started; is killed with its group when the lifeline ends.
    public static func main(_ arguments: [String]) -> Never {
        var lifeline: Int32 = -1
        var ruleset: Int32 = -1
        var rest = arguments[...]
        while let flag = rest.first, flag != "--" {
            guard let value = rest.dropFirst().first.flatMap({ Int32($0) }), value >= 0,
                flag == "--lifeline-fd" || flag == "--sandbox-fd"
            else { fail("usage: \(command) --lifeline-fd N [--sandbox-fd N] -- COMMAND [ARG…]", status: 127) }
            if flag == "--lifeline-fd" { lifeline = value } else { ruleset = value }
            rest = rest.dropFirst(2)
        }
        let argv = Array(rest.dropFirst())
        guard lifeline >= 0, let executable = argv.first else {
            fail("usage: \(command) --lifeline-fd N [--sandbox-fd N] -- COMMAND [ARG…]", status: 127)
        }
        // A cancellation's SIGTERM to the group is for the command: the supervisor waits for it
        // and reports its status. SIGKILL still ends both.
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE] { _ = Glibc.signal(signal, SIG_IGN) }
        if ruleset >= 0 {
            // This thread, and so the command it starts, enters the sandbox; nothing runs outside.
            do {
                try Sandbox.enter(ruleset: ruleset)
            } catch {
                fail("cannot start \(executable) in its sandbox: \(error)", status: 126)
            }
            close(ruleset)
        }
        var child = pid_t()
        let rc = spawn(executable, argv, &child)
        guard rc == 0 else { fail("cannot start \(executable): \(String(cString: strerror(rc)))", status: 127) }
        exit(watch(child, lifeline: lifeline))
    }

    /// Starts the command in this process group with default signal dispositions, an empty mask
    /// and descriptors 0–2 only (not the lifeline).
    private static func spawn(_ executable: String, _ argv: [String], _ child: inout pid_t) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        baton_spawn_close_from(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        Subprocess.resetSignals(&attributes)
        posix_spawnattr_setflags(&attributes, baton_spawn_flags(0, 0))
        return withCStrings(argv) { cArgv in
            posix_spawn(&child, executable, &actions, &attributes, cArgv, environ)
        }
    }

    /// Waits for `child` and returns its exit code; kills the group first if the lifeline ends.
    private static func watch(_ child: pid_t, lifeline: Int32) -> Int32 {
        // Readable when the child exits (a zombie until reaped below); on a kernel without
        // pidfd_open the child is polled for ten times a second instead.
        let exited = baton_pidfd_open(child)
        // No end of the child's pipes stays open here: its reader sees end of file when it exits.
        for fd: Int32 in 0...2 { close(fd) }
        var fds = [
            pollfd(fd: lifeline, events: Int16(POLLIN), revents: 0),
            pollfd(fd: exited, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            var status: Int32 = 0
            let reaped = waitpid(child, &status, WNOHANG)
            if reaped == child { return baton_exit_code(status) }
            if reaped < 0 && errno != EINTR { return 127 }
            if poll(&fds, nfds_t(fds.count), exited >= 0 ? -1 : 100) < 0 { continue }
            guard fds[0].revents != 0 else { continue }
            var byte: UInt8 = 0
            let n = read(lifeline, &byte, 1)
            if n > 0 || (n < 0 && (errno == EINTR || errno == EAGAIN)) { continue }
            // End of file (or a lifeline that is no descriptor): the worker is gone, and so is
            // everything it started. The group is ours when we lead it, as every supervised child's is.
            if getpgrp() == getpid() {
                _ = kill(0, SIGKILL)
            } else {
                _ = kill(child, SIGKILL)
            }
            fds[0].fd = -1  // poll ignores it from now on; the loop reaps the child
        }
    }

    private static func fail(_ message: String, status: Int32) -> Never {
        let text = "baton: " + message + "\n"
        _ = text.withCString { write(2, $0, strlen($0)) }
        exit(status)
    }
}
