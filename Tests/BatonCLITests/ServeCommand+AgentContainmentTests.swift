import BatonCrypto
import BatonJSON
import BatonTestSupport
import Foundation
import Testing

/// `baton serve` started with its master key in the environment, and an agent (a `command`
/// provider run by the embedded worker) that looks for it: in its own environment, in the
/// coordinator's (/proc/<ppid>/environ) and in the data directory. It finds nothing, and the
/// coordinator's /proc/<pid>/environ no longer holds the key even for its own user.
@Suite struct AgentContainmentCommandTests {
    @Test func theMasterKeyReachesNoAgentAndLeavesTheEnvironment() async throws {
        let dir = NSTemporaryDirectory() + "baton-contain-\(UUID().uuidString)"
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: dir + "-workspaces")
            try? FileManager.default.removeItem(atPath: dir + "-config.json")
        }
        let key = Base64.encode(SecureRandom.bytes(32))
        let probe =
            #"exec 2>&1; env; echo "---"; tr '\0' '\n' < /proc/$PPID/environ; echo "proc:$?"; ls \#(dir); echo "ls:$?""#
        let config: JSONValue = [
            "providers": ["probe": ["kind": "command", "command": .string(probe)]],
            "sandbox": ["mode": "required"],
        ]
        try config.text.write(toFile: dir + "-config.json", atomically: true, encoding: .utf8)
        let baton = try RunningBaton(
            ["serve", "--port", "0", "--data-dir", dir, "--config", dir + "-config.json"],
            environment: ["BATON_MASTER_KEY": key])
        let port = try #require(await baton.waitForPort(), "serve did not start: \(baton.errors)")
        let api = NodeCommandTests.API(port: port, key: try NodeCommandTests.adminKey(dir))
        #expect(await LocalWorkersTests.localWorkerOnline(api), "local-1 never reported presence: \(baton.errors)")
        let (status, dispatched) = try await api.call(.post, "/dispatch", #"{"prompt":"look","provider":"probe"}"#)
        #expect(status == 200, "dispatch: \(dispatched.text)")
        let id = try #require(dispatched["id"]?.intValue, "dispatch: \(dispatched.text)")
        let job = try await api.finished(id)
        #expect(baton.output.contains("sandbox: landlock"), "\(baton.output)")
        let result = job["result"]?.stringValue ?? ""
        #expect(job["status"] == "completed", "\(job.text)")
        #expect(result.contains("PATH=") && !result.contains("BATON_MASTER_KEY"), "\(result)")
        #expect(!result.contains(key))
        #expect(
            result.contains("Permission denied") && !result.contains("proc:0") && !result.contains("ls:0"), "\(result)")
        // The coordinator's own environment, as its user reads it, no longer holds the key.
        let environ = try String(contentsOfFile: "/proc/\(baton.child.pid)/environ", encoding: .isoLatin1)
        #expect(!environ.contains(key) && environ.contains("PATH="))
        #expect(await baton.stop() == 0)
        #expect(!baton.output.contains(key) && !baton.errors.contains(key))
    }

    /// A data directory where agents may read (here beneath /opt, which the sandbox lets them
    /// read) would hand them the keys: serve refuses it, unless the sandbox is off.
    @Test func aDataDirectoryAgentsCouldReadIsRefused() async throws {
        let dir = "/opt/baton-exposed-\(UUID().uuidString)"
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: dir + "-workspaces")
        }
        let refused = try await BatonBinary.run(["serve", "--port", "0", "--data-dir", dir])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(
            refused.stderr.contains("the data directory \(dir) is beneath /opt, which agents may read"),
            "\(refused.stderr)")
        // Without local workers there are no agents here to protect it from.
        let alone = try RunningBaton(["serve", "--port", "0", "--data-dir", dir, "--local-workers", "0"])
        #expect(await alone.waitForPort() != nil, "\(alone.errors)")
        #expect(await alone.stop() == 0)
    }
}
