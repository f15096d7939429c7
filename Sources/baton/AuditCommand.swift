import BatonCore
import BatonStore

enum AuditCommand: BatonCommand {
    static let name = "audit"
    static let summary = "Check the audit log's hash chain, or prune its oldest entries."
    static let help = """
        Usage: baton audit verify [--data-dir DIR]
               baton audit prune --before DATE [--data-dir DIR]

        verify  Recomputes every audit entry's hash, in order, and checks each links to the one
                before. Exit status 0 when the chain is intact; 1 naming the first entry that was
                edited, removed or re-linked (entries are append-only: the database refuses
                changes, so a broken chain means someone went around it). After a prune the
                chain is checked from its anchor: the first entry kept must link to the hash
                recorded for the last entry removed.

        prune   Removes the entries written before DATE (YYYY-MM-DD, midnight UTC, or a time
                such as 2026-11-01T12:00:00.000Z). The whole chain is verified first (a broken
                chain is not pruned: that would remove the evidence); then the id and hash of
                the last entry removed are recorded as the anchor, the entries are deleted in
                small transactions (it may run beside `baton serve`), and the freed space is
                given back to the file system. The prune itself is an audit entry. Retention
                never prunes the audit log: only this command does.

        Options:
          --before DATE    prune: remove entries written before this time (not in the future).
          --data-dir DIR   Where Baton keeps its database (default: .baton).
          --help           Show this help.
        """
    static let options = CommandLineOptions.Spec(valued: ["data-dir", "before"], flags: [])

    static func run(_ options: CommandLineOptions) async throws {
        switch options.positionals {
        case ["verify"]:
            guard options.value("before") == nil else { throw UsageError("--before belongs to audit prune") }
            try await verify(options)
        case ["prune"]:
            guard let given = options.value("before") else { throw UsageError("audit prune needs --before DATE") }
            guard let before = cutoff(given) else {
                throw UsageError(
                    "--before must be a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM:SS.sssZ), not \(given.debugDescription)"
                )
            }
            guard before <= Timestamp.now() else {
                throw UsageError("--before \(given) is in the future: only entries already written can be pruned")
            }
            try await prune(options, before: before)
        default:
            throw UsageError("audit needs exactly one action: verify or prune")
        }
    }

    /// `YYYY-MM-DD` (midnight UTC) or a full stored-format time, checked as a real calendar time.
    static func cutoff(_ text: String) -> String? {
        let full = text.utf8.count == 10 ? text + "T00:00:00.000Z" : text
        guard let ms = Timestamp.parse(full) else { return nil }
        return Timestamp.format(milliseconds: ms)
    }

    static func open(_ options: CommandLineOptions) async throws -> (Database, AuditLog) {
        let dataDir = options.value("data-dir") ?? ".baton"
        let database = try DataDirectory.openDatabase(at: dataDir)
        do {
            _ = try await database.migrate(BatonMigrations.all())
            let events = try EventBus(database: database, replayCapacity: 1)
            return (database, AuditLog(database: database, events: events))
        } catch {
            await database.close()
            throw RuntimeError("cannot read the audit log: \(error)")
        }
    }

    static func verify(_ options: CommandLineOptions) async throws {
        let (database, audit) = try await open(options)
        let result: AuditLog.Verification
        let anchor: AuditAnchor?
        do {
            result = try audit.verify()
            anchor = try audit.anchor()
        } catch {
            await database.close()
            throw RuntimeError("cannot read the audit log: \(error)")
        }
        await database.close()
        switch result {
        case .intact(let count):
            if let anchor {
                print(
                    "\(count) entries, chain intact from the prune anchor (entries up to \(anchor.lastID), written before \(anchor.prunedBefore), were pruned)"
                )
            } else {
                print("\(count) entries, chain intact")
            }
        case .broken(let id, let reason):
            throw RuntimeError("audit entry \(id) is broken: \(reason)")
        }
    }

    static func prune(_ options: CommandLineOptions, before: String) async throws {
        let (database, audit) = try await open(options)
        do {
            let result = try audit.prune(before: before)
            if let anchor = result.anchor, result.removed > 0 {
                try await audit.append(
                    AuditDraft(
                        tenant: nil, actor: .system, action: "audit.prune", target: "audit",
                        diff: [
                            "before": .string(before), "removed": .int(Int64(result.removed)),
                            "anchor_id": .int(anchor.lastID), "anchor_hash": .string(anchor.lastHash),
                        ]))
                let freed = try await database.incrementalVacuum(pages: try await database.freePages())
                print(
                    "pruned \(result.removed) entries written before \(before); the chain is anchored at entry \(anchor.lastID) (hash \(anchor.lastHash)); \(freed) pages given back"
                )
            } else {
                print("nothing written before \(before) to prune")
            }
        } catch let error as AuditLog.PruneError {
            await database.close()
            throw RuntimeError("\(error)")
        } catch {
            await database.close()
            throw RuntimeError("cannot prune the audit log: \(error)")
        }
        await database.close()
    }
}
