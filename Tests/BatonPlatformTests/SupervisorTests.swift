import BatonTestSupport
import Testing

@testable import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

/// Children started under a supervisor: the `baton` binary `swift build` put beside this test
/// bundle, which routes `__supervise`, on a lifeline of the test's own (cutting it is what the
/// worker's death does to its supervisors).
@Suite struct SupervisorTests {
    static let baton: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        var dir = count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        while let last = dir.last, last != "/" { dir.removeLast() }
        return dir + "baton"
    }()

    static func supervisor() throws -> Supervisor {
        try #require(access(baton, X_OK) == 0, "no baton binary at \(baton): build the package first")
        return Supervisor(executable: baton, lifeline: try Lifeline())
    }

    static func supervised(_ executable: String, _ arguments: [String], supervisor: Supervisor) -> Subprocess.Options {
        var options = Subprocess.Options(executable, arguments)
        options.supervisor = supervisor
        return options
    }

    @Test func theChildsOutputAndStatusComeThrough() throws {
        let supervisor = try Self.supervisor()
        let result = try Subprocess.run(
            Self.supervised("/bin/sh", ["-c", "cat; echo oops >&2; exit 3"], supervisor: supervisor),
            input: "hello\nworld")
        #expect(result.status == 3 && result.stdout == "hello\nworld" && result.stderr == "oops\n", "\(result)")
        // A signal that ends the command (a cancellation's SIGTERM included) is reported as it is
        // unsupervised: 128 + its number.
        for signal in [SIGKILL, SIGTERM] {
            let ended = try Subprocess.run(
                Self.supervised("/bin/sh", ["-c", "kill -\(signal) $$"], supervisor: supervisor))
            #expect(ended.status == 128 + signal)
        }
    }

    /// The command gets exactly the environment given, and leads nothing: its supervisor is its
    /// parent and leads the group, which is the pid the caller holds.
    @Test func theChildGetsItsEnvironmentInTheSupervisorsGroup() throws {
        var options = Self.supervised("/usr/bin/env", [], supervisor: try Self.supervisor())
        options.inheritEnvironment = false
        options.environment = ["ONLY": "this", "PATH": "/usr/bin:/bin"]
        let result = try Subprocess.run(options)
        #expect(result.status == 0)
        #expect(Set(result.stdout.split(separator: "\n")) == ["ONLY=this", "PATH=/usr/bin:/bin"], "\(result)")

        let child = try Subprocess(
            Self.supervised("/bin/sh", ["-c", "echo $$; exec sleep 30"], supervisor: options.supervisor!))
        defer { child.kill() }
        let line = try #require(child.waitForOutput(containing: "\n", timeout: 10))
        let command = try #require(Int32(line.split(separator: "\n")[0]))
        let entry = try #require(ProcessTable.entry(command))
        #expect(
            entry.parent == child.pid && entry.group == child.pid && ProcessTable.entry(child.pid)?.group == child.pid)
    }

    /// What the worker's death does: its end of the lifeline closes, and the supervisor kills the
    /// whole group at once, a background grandchild too.
    @Test func cuttingTheLifelineKillsTheWholeGroup() async throws {
        let supervisor = try Self.supervisor()
        let child = try Subprocess(
            Self.supervised("/bin/sh", ["-c", "sleep 60 & echo $$ $!; sleep 60"], supervisor: supervisor))
        defer { child.kill() }
        let line = try #require(child.waitForOutput(containing: "\n", timeout: 10))
        let pids = line.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
        #expect(pids.count == 2 && !pids.contains(where: processHasEnded))
        #expect(ProcessTable.members(ofGroup: child.pid).count >= 3)  // supervisor, sh, the sleeps
        supervisor.lifeline.cut()
        #expect(await child.exitCode() == 128 + SIGKILL)
        #expect(
            // Bounded only to end a hang, well inside the sleeps' 60 s: a loaded machine can take
            // seconds to reap the killed group.
            await eventually(timeout: .seconds(20)) { ProcessTable.members(ofGroup: child.pid).isEmpty },
            "\(ProcessTable.members(ofGroup: child.pid))")
        #expect(pids.allSatisfy(processHasEnded))
    }

    /// Ending the group as a cancellation does still works: SIGTERM reaches the command (the
    /// supervisor waits for it), SIGKILL the rest.
    @Test func terminatingTheGroupEndsTheChild() throws {
        let child = try Subprocess(
            Self.supervised("/bin/sh", ["-c", "sleep 60 & sleep 60"], supervisor: try Self.supervisor()))
        // Supervisor, sh (or the sleep it became) and a background sleep.
        #expect(eventually(onThisThread: .seconds(10)) { ProcessTable.members(ofGroup: child.pid).count >= 3 })
        let started = Subprocess.monotonicSeconds()
        #expect(child.terminate(grace: 5) == 128 + SIGTERM)
        #expect(Subprocess.monotonicSeconds() - started < 4)
        // Bounded only to end a hang (the sleeps last 60 s): reaping can take seconds when loaded.
        #expect(eventually(onThisThread: .seconds(20)) { ProcessTable.members(ofGroup: child.pid).isEmpty })
    }

    @Test func aCommandThatCannotStartSaysWhy() throws {
        let result = try Subprocess.run(Self.supervised("/nonexistent/tool", [], supervisor: try Self.supervisor()))
        #expect(result.status == 127 && result.stderr.contains("cannot start /nonexistent/tool"), "\(result)")
    }

    /// A supervised child is sandboxed by its supervisor, which enters the ruleset before it
    /// starts the command: the probes of SandboxTests, with the same outcome.
    @Test func theSupervisorEntersTheSandboxFirst() async throws {
        let root = TemporaryDirectory(prefix: "baton-supervise")
        defer { root.remove() }
        root.write("secret/master.key", "top-secret-value")
        root.makeFolder("workspace")
        root.write("workspace/theirs.txt", "someone else's")
        chown(root.path + "/workspace/theirs.txt", 4321, 4321)
        chmod(root.path + "/workspace/theirs.txt", 0o600)
        let probe = """
            cat \(root.path)/secret/master.key; echo "read:$?"
            echo y > \(root.path)/workspace/made; echo "write-own:$?"
            cat \(root.path)/workspace/theirs.txt; echo "theirs:$?"
            mknod \(root.path)/workspace/disk b 7 0; echo "mknod:$?"
            """
        let sandbox = Sandbox(readWrite: [root.path + "/workspace"], readOnly: [])
        let confined = try await SandboxTests.run(probe, sandbox: sandbox, supervisor: try Self.supervisor())
        #expect(!confined.stdout.contains("top-secret-value") && !confined.stdout.contains("someone else's"))
        for expected in ["read:1", "write-own:0", "theirs:1", "mknod:1"] {
            #expect(confined.stdout.contains(expected), "\(expected): \(confined.stdout)")
        }
        let free = try await SandboxTests.run(probe, sandbox: nil, supervisor: try Self.supervisor())
        #expect(free.stdout.contains("top-secret-value") && free.stdout.contains("theirs:0"), "\(free.stdout)")
    }
}
