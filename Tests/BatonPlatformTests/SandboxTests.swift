import BatonTestSupport
import Testing

@testable import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

/// The Landlock sandbox on this machine's kernel: every probe is run twice, sandboxed and not, so
/// a test shows the protection is what makes the difference.
@Suite struct SandboxTests {
    /// `supervisor`: started by it, which enters the sandbox itself (SupervisorTests).
    static func run(
        _ script: String, sandbox: Sandbox?, environment: [String: String] = [:], inherit: Bool = true,
        supervisor: Supervisor? = nil
    ) async throws -> Subprocess.Result {
        var options = Subprocess.Options("/bin/sh", ["-c", script], environment: environment)
        options.sandbox = sandbox
        options.supervisor = supervisor
        options.inheritEnvironment = inherit
        if !inherit { options.environment["PATH"] = "/usr/bin:/bin" }
        let child = try Subprocess(options)
        child.closeInput()
        let status = await child.exitCode()
        return Subprocess.Result(status: status, stdout: child.output, stderr: child.errors)
    }

    @Test func theKernelHasLandlock() {
        #expect(Sandbox.abi >= 1, "Landlock is needed for the agent sandbox; this kernel reports none")
    }

    @Test func aSandboxedChildWritesOnlyBeneathItsPaths() async throws {
        let root = TemporaryDirectory(prefix: "baton-sandbox")
        defer { root.remove() }
        root.write("secret/master.key", "top-secret-value")
        root.makeFolder("workspace")
        root.makeFolder("other")
        let probe = """
            cat \(root.path)/secret/master.key; echo "read:$?"
            echo x > \(root.path)/other/escaped; echo "write-other:$?"
            echo y > \(root.path)/workspace/made; echo "write-own:$?"
            ls \(root.path); echo "list-root:$?"
            """
        let sandbox = Sandbox(readWrite: [root.path + "/workspace"], readOnly: [])
        let confined = try await Self.run(probe, sandbox: sandbox)
        #expect(!confined.stdout.contains("top-secret-value"))
        #expect(confined.stdout.contains("read:1") && confined.stdout.contains("write-other:2"), "\(confined.stdout)")
        #expect(
            confined.stdout.contains("write-own:0") && confined.stdout.contains("list-root:2"), "\(confined.stdout)")
        #expect(confined.stderr.contains("Permission denied"))
        #expect(access(root.path + "/other/escaped", F_OK) != 0)
        // The same probe without the sandbox reads and writes everything.
        let free = try await Self.run(probe, sandbox: nil)
        #expect(free.stdout.contains("top-secret-value") && free.stdout.contains("write-other:0"), "\(free.stdout)")
    }

    /// Only the named device files are open to a child, never /dev as a whole: as root it could
    /// otherwise open the disk under every path rule (/dev/vda is refused to root even unsandboxed
    /// on this machine, so the probe uses a device this machine lets root read).
    @Test func onlyTheNamedDeviceFilesAreOpen() async throws {
        let candidates: [String] = ["/dev/hwrng", "/dev/cpu_dma_latency", "/dev/kmsg"]
        let free = try await Self.run(
            candidates.map { "timeout 2 head -c 1 \($0) > /dev/null 2>&1 && echo \"readable:\($0)\"" }.joined(
                separator: "; "),
            sandbox: nil)
        let readable = free.stdout.split(separator: "\n").map { String($0.dropFirst("readable:".count)) }
        let path = try #require(readable.first, "no device this machine lets root read: \(free.stdout)")
        let probe = "timeout 2 head -c 1 \(path) > /dev/null; echo \"device:$?\"; echo ok > /dev/null; echo \"null:$?\""
        let confined = try await Self.run(probe, sandbox: Sandbox(readWrite: [], readOnly: []))
        #expect(confined.stdout.contains("device:1") && confined.stdout.contains("null:0"), "\(confined.stdout)")
        #expect(confined.stderr.contains("Permission denied"), "\(confined.stderr)")
    }

    /// A root child can make no device node, not even in its own workspace (where it could then
    /// open the disk), and holds no capability: a file of another user's, mode 0600, stays closed
    /// to it where root with CAP_DAC_OVERRIDE reads it.
    @Test func aRootChildMakesNoDeviceAndHoldsNoCapability() async throws {
        let root = TemporaryDirectory(prefix: "baton-sandbox")
        defer { root.remove() }
        root.makeFolder("workspace")
        root.write("workspace/theirs.txt", "someone else's")
        chown(root.path + "/workspace/theirs.txt", 4321, 4321)
        chmod(root.path + "/workspace/theirs.txt", 0o600)
        let probe = """
            mknod disk b 7 0 2>&1; echo "mknod:$?"
            cat theirs.txt 2>&1; echo "read:$?"
            """
        var options = Subprocess.Options("/bin/sh", ["-c", probe], directory: root.path + "/workspace")
        options.sandbox = Sandbox(readWrite: [root.path + "/workspace"], readOnly: [])
        let confinedChild = try Subprocess(options)
        confinedChild.closeInput()
        _ = await confinedChild.exitCode()
        let confined = confinedChild.output
        #expect(confined.contains("mknod:1") && confined.contains("read:1"), "\(confined)")
        #expect(!confined.contains("someone else's"))
        options.sandbox = nil
        let freeChild = try Subprocess(options)
        freeChild.closeInput()
        _ = await freeChild.exitCode()
        #expect(
            freeChild.output.contains("mknod:0") && freeChild.output.contains("someone else's"), "\(freeChild.output)")
    }

    /// Another process's environment (Baton's own, holding its keys) is out of reach.
    @Test func theParentsEnvironmentCannotBeReadThroughProc() async throws {
        let probe = "tr '\\0' '\\n' < /proc/\(getpid())/environ | head -3; echo \"status:$?\""
        let confined = try await Self.run(probe, sandbox: Sandbox(readWrite: [], readOnly: []))
        #expect(
            confined.stdout.trimmingCharacters == "status:0" || !confined.stdout.contains("="), "\(confined.stdout)")
        #expect(confined.stderr.contains("Permission denied"), "\(confined.stderr)")
        let free = try await Self.run(probe, sandbox: nil)
        #expect(free.stdout.contains("="), "\(free.stdout)")
    }

    /// Without inheritance the child sees only what it is given.
    @Test func anAllowlistedEnvironmentCarriesNothingElse() async throws {
        setenv("BATON_TEST_PARENT_SECRET", "parent-only", 1)
        let given = try await Self.run("env", sandbox: nil, environment: ["GIVEN": "1"], inherit: false)
        #expect(given.stdout.contains("GIVEN=1") && !given.stdout.contains("parent-only"), "\(given.stdout)")
        let inherited = try await Self.run("env", sandbox: nil)
        #expect(inherited.stdout.contains("parent-only"))
    }

    /// With `connectPorts`, outbound TCP reaches only those ports (Landlock ABI 4+).
    @Test func connectPortsLimitOutboundTCP() async throws {
        #expect(Sandbox.abi >= 4, "TCP rules need Landlock ABI 4")
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        listen(listener, 8)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        let port = UInt16(bigEndian: address.sin_port)
        let connect =
            "/usr/bin/python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", \(port)), 2); print(\"connected\")'"
        let allowed = try await Self.run(connect, sandbox: Sandbox(readWrite: [], readOnly: [], connectPorts: [port]))
        #expect(allowed.stdout == "connected\n", "\(allowed.stderr)")
        let other = port == 65535 ? port - 1 : port + 1
        let denied = try await Self.run(connect, sandbox: Sandbox(readWrite: [], readOnly: [], connectPorts: [other]))
        #expect(denied.stdout.isEmpty && denied.stderr.contains("PermissionError"), "\(denied.stderr)")
        let open = try await Self.run(connect, sandbox: Sandbox(readWrite: [], readOnly: []))
        #expect(open.stdout == "connected\n")
    }

    /// The restriction stays with the child: the thread that spawned it is gone, and a later
    /// unsandboxed child is free.
    @Test func nothingElseInThisProcessIsRestricted() async throws {
        let root = TemporaryDirectory(prefix: "baton-sandbox")
        defer { root.remove() }
        _ = try await Self.run("true", sandbox: Sandbox(readWrite: [], readOnly: []))
        let after = try await Self.run("echo ok > \(root.path)/after; cat \(root.path)/after", sandbox: nil)
        #expect(after.stdout == "ok\n")
        let fd = open(root.path + "/direct", O_CREAT | O_WRONLY, 0o600)
        #expect(fd >= 0)
        close(fd)
    }
}

extension String {
    fileprivate var trimmingCharacters: String {
        var s = Substring(self)
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
