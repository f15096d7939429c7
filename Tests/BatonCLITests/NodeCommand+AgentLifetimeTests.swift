import BatonJSON
import BatonTestSupport
import Foundation
import Testing

/// An agent lives no longer than its worker and its lease (SPEC §7.14): `baton node` killed with
/// SIGKILL mid-job takes its agent's whole process group with it, and a node cut off from its
/// coordinator stops its agent before the lease expires there; either way the job then runs once
/// more, elsewhere or later, and is completed once.
@Suite(.serialized) struct NodeAgentLifetimeTests {
    /// A coordinator with short leases, and the `command` provider `loop`: its first attempt starts
    /// a background `sleep 60` and beats forever; a later one says it is done. Each line of its
    /// log is `start <attempt> <pid>`, `sleeper <pid>` or `done <attempt>`.
    struct Setup {
        let dir = ServeCommandTests.temporaryDataDir()
        var workspaces: String { dir + "-workspaces" }
        var config: String { dir + "-config.json" }
        let baton: RunningBaton
        let port: Int
        let api: NodeCommandTests.API

        static let script = #"""
            log="$BATON_WORKSPACE/log"
            echo "start $BATON_ATTEMPT $$" >> "$log"
            if [ "$BATON_ATTEMPT" = 1 ]; then
              sleep 60 &
              echo "sleeper $!" >> "$log"
              while :; do echo beat >> "$BATON_WORKSPACE/beats"; sleep 0.2; done
            fi
            echo "done $BATON_ATTEMPT" >> "$log"
            echo finished
            """#

        init(leaseSeconds: Int) async throws {
            let config: JSONValue = [
                "router": ["lease_s": .int(Int64(leaseSeconds)), "stale_after_s": 3],
                "providers": ["loop": ["kind": "command", "command": .string(Self.script)]],
                // Both attempts write one log in the job's workspace, read after the job ends.
                "workspaces": ["keep_adhoc": true],
            ]
            try config.text.write(toFile: dir + "-config.json", atomically: true, encoding: .utf8)
            baton = try RunningBaton([
                "serve", "--port", "0", "--data-dir", dir, "--local-workers", "0", "--config", dir + "-config.json",
            ])
            port = try #require(await baton.waitForPort(), "serve did not start: \(baton.errors)")
            api = NodeCommandTests.API(port: port, key: try NodeCommandTests.adminKey(dir))
        }

        /// A `baton node` named `name` serving `loop`, once the coordinator sees it online.
        func node(_ name: String, coordinator: String? = nil) async throws -> RunningBaton {
            let created = try await BatonBinary.run([
                "keys", "create", "--role", "worker", "--name", name, "--data-dir", dir,
            ])
            let token = try #require(
                created.stdout.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("bt_") }.map(String.init),
                "keys create: \(created.stderr)")
            let node = try RunningBaton([
                "node", "--port", "0", "--coordinator", coordinator ?? "http://127.0.0.1:\(port)", "--token", token,
                "--name", name, "--provider", "loop", "--workspaces", workspaces, "--config", config,
            ])
            _ = try #require(await node.waitForPort(), "node did not start: \(node.errors)")
            #expect(
                await eventually { await api.json("/api/workers/\(name)")["online"] == true },
                "\(name) never came online: \(node.errors)")
            return node
        }

        func log(_ job: Int64) -> [String] {
            let text = (try? String(contentsOfFile: workspaces + "/job-\(job)/log", encoding: .utf8)) ?? ""
            return text.split(separator: "\n").map(String.init)
        }

        /// The first attempt's agent once it has started: its shell's process group (its
        /// supervisor's pid) and its background sleeper.
        func firstAgent(_ job: Int64) async throws -> (group: Int32, shell: Int32, sleeper: Int32) {
            #expect(
                await eventually { log(job).contains { $0.hasPrefix("sleeper ") } }, "no agent started: \(log(job))")
            let lines = log(job)
            let shell = try #require(
                lines.first { $0.hasPrefix("start 1 ") }.flatMap { Int32($0.split(separator: " ")[2]) })
            let sleeper = try #require(
                lines.first { $0.hasPrefix("sleeper ") }.flatMap { Int32($0.split(separator: " ")[1]) })
            let group = try #require(ProcessTable.entry(shell)?.group, "the agent \(shell) is not running")
            #expect(ProcessTable.entry(sleeper)?.group == group)
            return (group, shell, sleeper)
        }

        func remove() {
            for path in [dir, workspaces, config] { try? FileManager.default.removeItem(atPath: path) }
        }
    }

    @Test func aNodeKilledMidJobLeavesNoAgentAndTheJobCompletesOnceElsewhere() async throws {
        let setup = try await Setup(leaseSeconds: 5)
        defer { setup.remove() }
        let first = try await setup.node("node-1")
        defer { first.child.kill() }
        let (status, dispatched) = try await setup.api.call(.post, "/dispatch", #"{"prompt":"loop","provider":"loop"}"#)
        #expect(status == 200 && dispatched["worker"] == "node-1", "dispatch: \(dispatched.text)")
        let id = try #require(dispatched["id"]?.intValue)
        let agent = try await setup.firstAgent(id)
        // The agent is not its group's leader: its supervisor is.
        #expect(agent.group != agent.shell && agent.group != first.child.pid)

        first.child.signal(SIGKILL)
        // Both waits on a thread of their own (not a cooperative one, which the other suites
        // need), and bounded only to end a hang: the sleeper would live 60 s were the group kept.
        let (killed, gone) = try await offPool {
            (
                first.child.wait(timeout: 10),
                eventually(onThisThread: .seconds(20)) { ProcessTable.members(ofGroup: agent.group).isEmpty }
            )
        }
        #expect(killed == 128 + SIGKILL)
        #expect(gone, "the agent's group outlived its node: \(ProcessTable.members(ofGroup: agent.group))")
        #expect(processHasEnded(agent.shell) && processHasEnded(agent.sleeper))

        // Once the lease expires the job runs again, on the node still there, and completes once.
        let second = try await setup.node("node-2")
        let job = try await setup.api.finished(id, timeout: .seconds(40))
        #expect(job["status"] == "completed" && job["worker"] == "node-2" && job["attempt"] == 2, "\(job.text)")
        #expect(job["result"]?.stringValue == "finished\n")
        let log = setup.log(id)
        #expect(log.filter { $0.hasPrefix("start ") }.count == 2 && log.filter { $0.hasPrefix("done") } == ["done 2"])
        #expect(await second.stop() == 0, "node-2: \(second.errors)")
        #expect(await setup.baton.stop() == 0)
    }

    /// The coordinator frozen (SIGSTOP): the node's reports hang and its lease is not renewed.
    /// It stops its agent while the lease still holds on the coordinator: within the lease less
    /// the up to 1.25 s that may pass between two reports, counted from the freeze.
    @Test func aNodeCutOffFromItsCoordinatorStopsItsAgentBeforeTheLeaseExpires() async throws {
        let lease = 8.0
        let setup = try await Setup(leaseSeconds: Int(lease))
        defer { setup.remove() }
        let node = try await setup.node("node-1")
        defer { node.child.kill() }
        let (status, dispatched) = try await setup.api.call(.post, "/dispatch", #"{"prompt":"loop","provider":"loop"}"#)
        #expect(status == 200, "dispatch: \(dispatched.text)")
        let id = try #require(dispatched["id"]?.intValue)
        let agent = try await setup.firstAgent(id)

        let coordinator = setup.baton.child.pid
        kill(coordinator, SIGSTOP)
        let frozen = ContinuousClock.now
        // Timed on the polling thread as the group empties: the test's own task may resume on a
        // busy cooperative pool only seconds later, which is no part of the node's deadline.
        let (gone, after) = try await offPool {
            let gone = eventually(onThisThread: .seconds(lease + 2)) {
                ProcessTable.members(ofGroup: agent.group).isEmpty
            }
            return (gone, ContinuousClock.now - frozen)
        }
        kill(coordinator, SIGCONT)
        #expect(gone, "the agent outlived its lease: \(ProcessTable.members(ofGroup: agent.group))")
        #expect(after < .seconds(lease - 1.5), "the agent ended \(after) after the coordinator froze")
        #expect(node.child.isRunning)

        // The coordinator, back, requeues the job when the lease expires; it runs once more.
        let job = try await setup.api.finished(id, timeout: .seconds(60))
        #expect(job["status"] == "completed" && job["attempt"] == 2, "\(job.text) node: \(node.errors)")
        #expect(setup.log(id).filter { $0.hasPrefix("done") } == ["done 2"])
        #expect(node.errors.contains("the lease could not be renewed in time"), "\(node.errors)")
        #expect(await node.stop() == 0, "node: \(node.errors)")
        #expect(await setup.baton.stop() == 0)
    }
}
