import BatonCoreFixtures
import BatonWorkerProtocol
import Testing

@testable import BatonCore
@testable import BatonJobs

/// A dispatcher transaction's savepoints, as a composing transaction (the orchestrator's webhook
/// batch) uses them: a part that fails is undone alone.
@Suite struct DispatchTxnTests {
    struct PartFailed: Error {}

    @Test func aRolledBackSavepointUndoesItsRowsEventsAndMemory() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let kept = try await core.dispatcher.mutate { txn -> Int64 in
                let kept = try txn.insertScheduled(JobSpec(prompt: "kept", provider: "dry-run"), tenant: "default")
                let mark = try txn.beginSavepoint()
                _ = try txn.insertScheduled(JobSpec(prompt: "undone", provider: "dry-run"), tenant: "default")
                try txn.rollback(to: mark, after: PartFailed())
                let released = try txn.beginSavepoint()
                try txn.emit("test.kept", tenant: "default", ["part": "released"])
                try txn.release(released)
                return kept.id
            }
            let rows = try core.database.rows(["jobs"])
            #expect(rows.count == 1 && rows[0].contains("kept") && !rows[0].contains("undone"), "\(rows)")
            #expect(try core.database.eventTypes() == ["job.created", "test.kept"])
            // Memory was rebuilt from the rows: a worker finds the kept job, and nothing after it.
            _ = try await core.dispatcher.presence(
                PresenceReport(instance: "w1", provider: "dry-run"), tenant: "default")
            let lease = try await core.dispatcher.lease(worker: "w1", tenant: "default", wait: .zero)
            #expect(lease?.job.id == kept)
            #expect(try await core.dispatcher.lease(worker: "w1", tenant: "default", wait: .zero) == nil)
        }
    }
}
