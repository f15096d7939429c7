import BatonCore
import BatonCoreFixtures
import BatonStore
import Testing

@testable import BatonIssues

/// The activity rows of a session (SPEC §9.15): what waits for Linear stays bounded.
@Suite struct AgentSessionsTests {
    @Test func aBusyAgentsActionsBacklogIsBoundedToTheNewest() async throws {
        try await CoreFixture.with { fixture in
            let core = try await fixture.open()
            let total = AgentSessionRows.maxPendingActions + 10
            try await core.database.write { conn in
                for session in ["s-1", "s-2"] {
                    try conn.execute(
                        """
                        INSERT INTO agent_sessions (tenant, session_id, issue, status, created_at, updated_at)
                        VALUES ('default', ?1, 'ENG-1', 'active', '2026-12-06T00:00:00.000Z', '2026-12-06T00:00:00.000Z')
                        """, [.text(session)])
                }
                try AgentSessionRows.enqueue(
                    .thought("Baton is starting work on ENG-1."), session: "s-1", tenant: "default",
                    now: "2026-12-06T00:00:00.000Z", in: conn)
                for n in 1...total {
                    try AgentSessionRows.enqueue(
                        .action(action: "Ran", parameter: "step \(n)", result: nil), session: "s-1", tenant: "default",
                        now: "2026-12-06T00:00:00.000Z", in: conn)
                }
                // Another session's backlog is its own.
                try AgentSessionRows.enqueue(
                    .action(action: "Ran", parameter: "elsewhere", result: nil), session: "s-2", tenant: "default",
                    now: "2026-12-06T00:00:00.000Z", in: conn)
            }
            let pending = try core.database.readBlocking { conn in
                try conn.query(
                    "SELECT content FROM agent_activities WHERE session_id = 's-1' AND state = 'pending' ORDER BY seq"
                ).compactMap { $0.string("content") }
            }
            // The acknowledgement stays, then the newest actions in order.
            #expect(pending.count == 1 + AgentSessionRows.maxPendingActions)
            #expect(pending.first?.contains("starting work") == true)
            #expect(pending.last?.contains("step \(total)") == true)
            #expect(pending.dropFirst().first?.contains("step 11\"") == true)
            let coalesced = try core.database.readBlocking { conn in
                try conn.scalar("SELECT count(*) FROM agent_activities WHERE state = 'coalesced'")?.intValue
            }
            #expect(coalesced == 10)
            let other = try core.database.readBlocking { conn in
                try conn.scalar("SELECT count(*) FROM agent_activities WHERE session_id = 's-2' AND state = 'pending'")?
                    .intValue
            }
            #expect(other == 1)
        }
    }
}
