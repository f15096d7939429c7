import BatonHTTP
import BatonTestSupport
import Foundation
import Testing

/// Everything Baton keeps in its data directory is its owner's alone: the directory 0700, the
/// database with its WAL and shared-memory files and every key or config file 0600 — including a
/// directory that existed before, which is fixed with a warning.
@Suite struct DataDirectoryModesTests {
    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o777 : nil
    }

    /// The top-level regular files of `dir` with their modes (in octal), sorted by name.
    static func fileModes(_ dir: String) throws -> [String: String] {
        var modes: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            var info = stat()
            guard lstat(dir + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            modes[name] = String(info.st_mode & 0o777, radix: 8)
        }
        return modes
    }

    @Test func aFreshDataDirectoryIsOwnerOnlyAfterServeKeysAndSecrets() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        defer { removeDataDirectory(dir) }
        let baton = try RunningBaton([
            "serve", "--local-workers", "1", "--port", "0", "--data-dir", dir, "--no-access-log",
        ])
        let port = try #require(await baton.waitForPort(), "serve did not start: \(baton.errors)")
        let api = NodeCommandTests.API(port: port, key: try NodeCommandTests.adminKey(dir))
        defer { api.client.shutdown() }
        #expect(try await api.call(.put, "/api/v1/config/overlay", #"{"agent":{"max_turns":7}}"#).0 == 200)
        #expect(try await api.call(.get, "/api/jobs").0 == 200)
        let key = try await BatonBinary.run(["keys", "create", "--role", "viewer", "--name", "v", "--data-dir", dir])
        #expect(key.status == 0, "\(key.stderr)")
        let secret = try await BatonBinary.run(["secrets", "set", "linear_api_key", "--data-dir", dir], input: "v\n")
        #expect(secret.status == 0, "\(secret.stderr)")
        // The local worker saves its key once it runs.
        #expect(await eventually { Self.mode(dir + "/local-1.worker.key") != nil })

        let running = try Self.fileModes(dir)
        for name in [
            "baton.db", "baton.db-wal", "baton.db-shm", "admin.key", "keyhash.key", "master.key", "overlay.json",
            "local-1.worker.key",
        ] {
            #expect(running[name] != nil, "\(name) is missing: \(running)")
        }
        #expect(running.filter { $0.value != "600" } == [:], "\(running)")
        #expect(Self.mode(dir) == 0o700)
        #expect(await baton.stop() == 0)
        #expect(try Self.fileModes(dir).filter { $0.value != "600" } == [:])
        // Nothing was said about modes: there was nothing to fix.
        #expect(!baton.errors.contains("setting it to"))
    }

    /// A data directory left 0755, with a database 0644 (by hand, or by an older Baton), is
    /// narrowed before anything else happens, and each change is named on stderr.
    @Test func aPreExistingWideDataDirectoryIsFixedWithAWarning() async throws {
        let dir = ServeCommandTests.temporaryDataDir()
        let outside = dir + "-outside"
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: outside)
        }
        #expect(FileManager.default.createFile(atPath: outside, contents: Data("x".utf8)))
        #expect(chmod(outside, 0o644) == 0)
        #expect(mkdir(dir, 0o755) == 0)
        #expect(chmod(dir, 0o755) == 0)  // whatever the umask
        #expect(FileManager.default.createFile(atPath: dir + "/baton.db", contents: Data()))
        #expect(chmod(dir + "/baton.db", 0o644) == 0)
        #expect(symlink(outside, dir + "/not-ours") == 0)

        let result = try await BatonBinary.run(["keys", "list", "--data-dir", dir])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("data directory \(dir) was mode 0755; setting it to 0700"))
        #expect(result.stderr.contains("\(dir)/baton.db was mode 0644; setting it to 0600"))
        #expect(Self.mode(dir) == 0o700)
        #expect(try Self.fileModes(dir).filter { $0.value != "600" } == [:])
        // A symlink is neither followed nor changed.
        #expect(Self.mode(outside) == 0o644)
    }
}
