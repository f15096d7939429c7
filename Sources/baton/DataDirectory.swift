import BatonCore
import BatonStore

#if canImport(Glibc)
    import Glibc
#endif

/// The data directory (`--data-dir`, default `.baton`): the SQLite database and, later, keys.
enum DataDirectory {
    static func databasePath(_ dir: String) -> String { dir + "/baton.db" }

    /// Creates the directory (owner-only: it will hold keys) and opens the database in it.
    static func openDatabase(at dir: String) throws -> Database {
        try create(dir)
        do {
            return try Database(path: databasePath(dir))
        } catch {
            throw RuntimeError("cannot open database \(databasePath(dir)): \(error)")
        }
    }

    /// Opens and migrates the database of `dir`, runs `body`, and closes it whatever happens:
    /// the shape of every command that works on a data directory while the server may be stopped.
    static func withMigratedDatabase<T>(_ dir: String, _ body: (Database) async throws -> T) async throws -> T {
        let database = try openDatabase(at: dir)
        do {
            _ = try await database.migrate(BatonMigrations.all())
            let result = try await body(database)
            await database.close()
            return result
        } catch {
            await database.close()
            throw error
        }
    }

    /// The API key store, with its hashing key from `<dir>/keyhash.key`.
    static func openKeyStore(_ dir: String, database: Database) throws -> KeyStore {
        try KeyStore(database: database, hashingKey: KeyStore.loadHashingKey(dataDir: dir, database: database))
    }

    static func create(_ dir: String) throws {
        var path = dir.hasPrefix("/") ? "" : "."
        for part in dir.split(separator: "/") {
            path += "/" + part
            if mkdir(path, 0o700) != 0 && errno != EEXIST {
                throw RuntimeError("cannot create data directory \(dir): \(String(cString: strerror(errno)))")
            }
        }
        var info = stat()
        guard stat(dir, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw RuntimeError("data directory \(dir) is not a directory")
        }
    }
}
