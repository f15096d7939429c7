import BatonCore
import BatonHTTP
import Testing

@testable import BatonAPI

/// What the audit log leaves out (SPEC §2.9): the worker protocol's routine traffic answered
/// below 400. Everything else that may change something is an entry.
@Suite struct AuditMiddlewareTests {
    @Test func routineWorkerTrafficIsNotAnEntryButItsRefusalsAndCompletionsAre() async throws {
        let c = try await TestCoordinator.make()
        defer { c.close() }
        let worker = try c.makeKey(.worker, name: "w1")
        for _ in 0..<3 { await c.heartbeat("w1", provider: "dry-run", key: worker) }
        #expect(await c.lease("w1", key: worker) == nil)
        #expect(try c.auditActions().isEmpty)

        _ = await c.createJob(#"{"prompt":"p","provider":"dry-run"}"#)
        let (id, token) = try #require(await c.lease("w1", key: worker))
        let progress = await c.send(.post, "/api/jobs/\(id)/events", #"{"token":"\#(token)"}"#, key: worker)
        #expect(progress.status == .ok, "\(progress.bodyText)")
        #expect(try c.auditActions() == ["POST /api/jobs"])

        // Refused: a stale token, a malformed heartbeat, another worker's name.
        let stale = await c.send(.post, "/api/jobs/\(id)/events", #"{"token":"stale"}"#, key: worker)
        #expect(stale.status == .conflict)
        #expect(await c.send(.put, "/presence", "{", key: worker).status == .badRequest)
        let other = await c.send(.put, "/presence", #"{"instance":"w2","provider":"dry-run"}"#, key: worker)
        #expect(other.status == .forbidden)
        // A completion changes the job for good: always an entry.
        #expect(await c.complete(id, token: token, key: worker).status == .ok)
        #expect(
            try c.auditActions() == [
                "POST /api/jobs", "POST /api/jobs/:id/events", "PUT /presence", "PUT /presence",
                "POST /api/jobs/:id/complete",
            ])
    }
}
