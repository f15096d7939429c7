import BatonCore
import BatonStore

enum MigrateCommand: BatonCommand {
    static let name = "migrate"
    static let summary = "Apply the database migrations and report them."
    static let help = """
        Usage: baton migrate [--data-dir DIR]

        Applies every schema migration this binary carries that the database has not had yet, each in
        its own transaction, and lists all migrations with when they were applied. `baton serve` does
        the same at start; run this to upgrade or inspect a data directory without starting the service.

        Options:
          --data-dir DIR   Where Baton keeps its database (default: .baton). Created if missing.
          --help           Show this help.
        """
    static let options = CommandLineOptions.Spec(valued: ["data-dir"], flags: [])

    static func run(_ options: CommandLineOptions) async throws {
        guard options.positionals.isEmpty else { throw UsageError("migrate takes no arguments") }
        let dataDir = options.value("data-dir") ?? ".baton"
        let database = try DataDirectory.openDatabase(at: dataDir)
        let report: MigrationReport
        do {
            report = try await database.migrate(BatonMigrations.all())
        } catch {
            await database.close()
            throw RuntimeError("migration failed: \(error)")
        }
        await database.close()
        for m in report.alreadyApplied {
            print("\(m.version.padded(4)) \(m.name)  already applied at \(m.appliedAt)")
        }
        for m in report.applied {
            print("\(m.version.padded(4)) \(m.name)  applied now at \(m.appliedAt)")
        }
        let total = report.applied.count + report.alreadyApplied.count
        print("\(report.applied.count) applied now, \(total) in all, database \(DataDirectory.databasePath(dataDir))")
    }
}

extension Int {
    fileprivate func padded(_ width: Int) -> String {
        let s = String(self)
        return String(repeating: "0", count: Swift.max(0, width - s.count)) + s
    }
}
