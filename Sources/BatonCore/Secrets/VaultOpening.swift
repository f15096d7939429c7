import BatonStore

#if canImport(Glibc)
    import Glibc
#endif

extension SecretVault {
    /// Opens the vault of a data directory the way `baton serve` and `baton secrets` must:
    /// finishes a rotation interrupted after its commit, creates `master.key` for a new vault, and
    /// refuses with a clear reason when secrets are stored but the key is missing or wrong.
    public static func open(dataDir: String, database: Database, events: EventBus? = nil) throws -> SecretVault {
        let pending = MasterKey.pendingPath(dataDir: dataDir)
        if let next = try MasterKey.loadFile(pending) {
            if (try? SecretVault(database: database, masterKey: next, events: events)) != nil {
                // The rotation committed but the new key was not yet in place.
                guard rename(pending, MasterKey.path(dataDir: dataDir)) == 0 else {
                    throw Failure.badMasterKey("cannot move \(pending) over master.key")
                }
            } else {
                unlink(pending)
            }
        }
        if let key = try MasterKey.load(dataDir: dataDir) {
            return try SecretVault(database: database, masterKey: key, events: events)
        }
        guard !(try isInUse(database)) else {
            throw Failure.badMasterKey(
                "secrets are stored but there is no key: set \(MasterKey.environmentVariable) or restore \(MasterKey.path(dataDir: dataDir))"
            )
        }
        let key = MasterKey.generate(dataDir: dataDir)
        try KeyFile.write(MasterKey.path(dataDir: dataDir), Array((key.text + "\n").utf8))
        return try SecretVault(database: database, masterKey: key, events: events)
    }

    /// Rotates to a fresh master key. With a key file: the new key is written beside it first,
    /// the values are re-encrypted in one transaction, then the new file replaces the old. Returns
    /// the number of values and, when the key came from the environment, the new key to set there.
    public static func rotateMaster(dataDir: String, database: Database) throws -> (
        count: Int, newEnvironmentKey: String?
    ) {
        let vault = try open(dataDir: dataDir, database: database)
        let current = try MasterKey.load(dataDir: dataDir)
        let next = MasterKey.generate(dataDir: dataDir)
        if current?.source == .environment {
            let count = try vault.rotate(to: next.bytes)
            return (count, next.text)
        }
        let pending = MasterKey.pendingPath(dataDir: dataDir)
        try KeyFile.write(pending, Array((next.text + "\n").utf8))
        let count: Int
        do {
            count = try vault.rotate(to: next.bytes)
        } catch {
            unlink(pending)
            throw error
        }
        guard rename(pending, MasterKey.path(dataDir: dataDir)) == 0 else {
            throw Failure.badMasterKey("re-encrypted, but cannot move \(pending) over master.key; move it by hand")
        }
        return (count, nil)
    }
}
