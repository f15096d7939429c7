import BatonTestSupport
import Synchronization
import Testing

@testable import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

/// Real child processes (sh, cat, pwd, head); none of these needs more than a Debian base system.
@Suite struct SubprocessTests {
    @Test func stdinStdoutStderrAndTheExitCode() throws {
        let result = try Subprocess.run(
            Subprocess.Options("/bin/sh", ["-c", "cat; echo oops >&2; exit 3"]), input: "hello\nworld")
        #expect(result.status == 3)
        #expect(result.stdout == "hello\nworld")
        #expect(result.stderr == "oops\n")
    }

    @Test func aSignalEndingTheChildIs128PlusItsNumber() throws {
        let child = try Subprocess(Subprocess.Options("/bin/sh", ["-c", "kill -9 $$"]))
        #expect(child.wait(timeout: 10) == 128 + SIGKILL)
    }

    @Test func runsInTheGivenDirectoryWithTheGivenEnvironment() throws {
        let result = try Subprocess.run(
            Subprocess.Options(
                "/bin/sh", ["-c", "pwd; echo $BATON_TEST_VALUE"], environment: ["BATON_TEST_VALUE": "v1"],
                directory: "/tmp"))
        #expect(result.stdout == "/tmp\nv1\n")
    }

    @Test func aMissingExecutableThrowsAndLeaksNothing() {
        #expect(throws: Subprocess.Failure.self) { try Subprocess(Subprocess.Options("/nonexistent/tool")) }
    }

    /// 10 MB on stdout: the reader drains it while the child runs (no deadlock on the 64 KiB pipe)
    /// and keeps only the head and tail.
    @Test func tenMegabytesNeitherDeadlockNorGrowWithoutBound() throws {
        let child = try Subprocess(
            Subprocess.Options(
                "/bin/sh", ["-c", "head -c 10485760 /dev/zero | tr '\\0' x; echo; echo done"], captureLimit: 64 * 1024))
        child.closeInput()
        #expect(child.wait(timeout: 30) == 0)
        let text = child.output
        #expect(text.utf8.count < 70 * 1024)
        #expect(text.hasPrefix("xxxx") && text.hasSuffix("done\n"))
        #expect(text.contains("bytes not kept"))
        #expect(child.droppedBytes > 10_000_000)
    }

    @Test func stdoutLinesAreReportedAsTheyArrive() throws {
        let lines = Mutex<[String]>([])
        let child = try Subprocess(
            Subprocess.Options(
                "/bin/sh", ["-c", "printf 'one\\ntwo\\nthree'"],
                onStdoutLine: { line in lines.withLock { $0.append(line) } }))
        #expect(child.wait(timeout: 10) == 0)
        #expect(lines.withLock { $0 } == ["one", "two", "three"])
    }

    /// A hook or agent that starts children of its own: ending the group ends all of them.
    @Test func terminatingTheGroupEndsTheWholeTreeQuickly() async throws {
        let child = try Subprocess(
            Subprocess.Options("/bin/sh", ["-c", "trap '' TERM; sleep 60 & sleep 60 & echo started; wait"]))
        #expect(child.waitForOutput(containing: "started", timeout: 10) != nil)
        let start = Subprocess.monotonicSeconds()
        child.terminate(grace: 0.5)
        #expect(Subprocess.monotonicSeconds() - start < 2)
        // Nothing is left in the group: signal 0 to it finds no process.
        #expect(await eventually { Glibc.kill(-child.pid, 0) != 0 && errno == ESRCH })
    }

    @Test func exitCodeCanBeAwaited() async throws {
        let child = try Subprocess(Subprocess.Options("/bin/sh", ["-c", "sleep 0.1; exit 7"]))
        #expect(await child.exitCode() == 7)
        #expect(!child.isRunning)
    }

    @Test func boundedBufferKeepsHeadAndTail() {
        var buffer = BoundedBuffer(limit: 8)
        buffer.append(Array("abcdefghijklmnop".utf8)[...])
        #expect(buffer.text == "abcd\n[… 8 bytes not kept …]\nmnop")
        var small = BoundedBuffer(limit: 8)
        small.append(Array("abc".utf8)[...])
        small.append(Array("de".utf8)[...])
        #expect(small.text == "abcde")
    }
}
