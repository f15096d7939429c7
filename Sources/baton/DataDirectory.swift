import BatonCore
import BatonPlatform
import BatonStore

#if canImport(Glibc)
    import Glibc
#endif

/// The data directory (`--data-dir`, default `.baton`): the SQLite database and the key files,
/// all owner-only.
enum DataDirectory {
    static func databasePath(_ dir: String) -> String { dir + "/baton.db" }

    /// Creates the directory (owner-only: it will hold keys) and opens the database in it.
    static func openDatabase(at dir: String, profileWriter: Bool = false) throws -> Database {
        try create(dir)
        do {
            var configuration = DatabaseConfiguration()
            configuration.profileWriter = profileWriter
            return try Database(path: databasePath(dir), configuration: configuration)
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
        try makeOwnerOnly(dir, info)
    }

    /// The data directory holds keys and the database: 0700, and every file Baton keeps in it
    /// 0600, even when it was made before (by hand, or by a Baton that left them 0644). Each wider
    /// mode is named on stderr, then narrowed. Symbolic links are not followed or changed.
    static func makeOwnerOnly(_ dir: String, _ info: stat) throws {
        if info.st_mode & 0o077 != 0 {
            Log.write("baton: data directory \(dir) was mode \(octal(info.st_mode & 0o777)); setting it to 0700")
            guard chmod(dir, 0o700) == 0 else {
                throw RuntimeError("cannot make data directory \(dir) private: \(String(cString: strerror(errno)))")
            }
        }
        guard let handle = opendir(dir) else { return }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = DirectoryEntry.name(entry)
            guard name != ".", name != ".." else { continue }
            let path = dir + "/" + name
            var file = stat()
            guard lstat(path, &file) == 0, (file.st_mode & S_IFMT) == S_IFREG, file.st_mode & 0o077 != 0 else {
                continue
            }
            Log.write("baton: \(path) was mode \(octal(file.st_mode & 0o777)); setting it to 0600")
            guard chmod(path, 0o600) == 0 else {
                throw RuntimeError("cannot make \(path) private: \(String(cString: strerror(errno)))")
            }
        }
    }

    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
