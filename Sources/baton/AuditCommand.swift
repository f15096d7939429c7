import BatonCore
import BatonStore

enum AuditCommand: BatonCommand {
    static let name = "audit"
    static let summary = "Check the audit log's hash chain."
    static let help = """
        Usage: baton audit verify [--data-dir DIR]

        Recomputes every audit entry's hash, in order, and checks each links to the one before.
        Exit status 0 when the chain is intact; 1 naming the first entry that was edited, removed or
        re-linked (entries are append-only: the database refuses changes, so a broken chain means
        someone went around it).

        Options:
          --data-dir DIR   Where Baton keeps its database (default: .baton).
          --help           Show this help.
        """
    static let options = CommandLineOptions.Spec(valued: ["data-dir"], flags: [])

    static func run(_ options: CommandLineOptions) async throws {
        guard options.positionals == ["verify"] else { throw UsageError("audit needs exactly one action: verify") }
        let dataDir = options.value("data-dir") ?? ".baton"
        let database = try DataDirectory.openDatabase(at: dataDir)
        let result: AuditLog.Verification
        do {
            _ = try await database.migrate(BatonMigrations.all())
            let events = try EventBus(database: database, replayCapacity: 1)
            result = try AuditLog(database: database, events: events).verify()
        } catch {
            await database.close()
            throw RuntimeError("cannot read the audit log: \(error)")
        }
        await database.close()
        switch result {
        case .intact(let count):
            print("\(count) entries, chain intact")
        case .broken(let id, let reason):
            throw RuntimeError("audit entry \(id) is broken: \(reason)")
        }
    }
}
