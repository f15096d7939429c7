import BatonCore
import BatonJSON
import BatonStore

/// A tenant's killswitch. Levels: 0 record only; 1 hold (jobs queue, nothing is dispatched);
/// 2 reject (creating or dispatching jobs answers 423); 3 drain (also cancel pending jobs and pause
/// workers once their current job ends); 4 full halt (also cancel running jobs at once and pause
/// every worker). Each level includes the effects of those below it.
public struct KillswitchState: Sendable, Equatable {
    public var level: Int
    public var reason: String
    public var setAt: String?
    public var setBy: String?

    public static let off = KillswitchState(level: 0, reason: "", setAt: nil, setBy: nil)

    public init(level: Int, reason: String, setAt: String?, setBy: String?) {
        self.level = level
        self.reason = reason
        self.setAt = setAt
        self.setBy = setBy
    }

    /// Level 1 and above: the scheduler assigns nothing and leases hand nothing out.
    public var holdsDispatch: Bool { level >= 1 }
    /// Level 2 and above: new jobs are refused with 423.
    public var rejectsJobs: Bool { level >= 2 }
    public var drains: Bool { level >= 3 }
    public var halts: Bool { level >= 4 }

    public static func describe(level: Int) -> String {
        switch level {
        case 0: "record only"
        case 1: "hold: new jobs queue, nothing is dispatched"
        case 2: "reject: creating or dispatching jobs is refused"
        case 3: "drain: pending jobs cancelled, workers paused as their current job ends"
        default: "full halt: every job cancelled, every worker paused"
        }
    }

    public var json: JSONValue {
        [
            "level": .int(Int64(level)), "reason": .string(reason), "set_at": setAt.map(JSONValue.string) ?? .null,
            "set_by": setBy.map(JSONValue.string) ?? .null, "effect": .string(KillswitchState.describe(level: level)),
        ]
    }

    static func loadAll(from conn: Connection) throws -> [String: KillswitchState] {
        var out: [String: KillswitchState] = [:]
        for row in try conn.query("SELECT tenant, level, reason, set_at, set_by FROM killswitch") {
            out[try row.decode("tenant")] = KillswitchState(
                level: try row.decode("level"), reason: try row.decode("reason"),
                setAt: try row.decodeIfPresent("set_at"), setBy: try row.decodeIfPresent("set_by"))
        }
        return out
    }

    static func save(_ state: KillswitchState, tenant: String, into conn: Connection) throws {
        try conn.execute(
            """
            INSERT INTO killswitch (tenant, level, reason, set_at, set_by) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT (tenant) DO UPDATE SET level = ?2, reason = ?3, set_at = ?4, set_by = ?5
            """,
            [
                .text(tenant), .integer(Int64(state.level)), .text(state.reason), .text(state.setAt ?? ""),
                .text(state.setBy ?? ""),
            ])
    }
}
