import BatonTestSupport
import Testing

@testable import BatonCore

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct KeyFileTests {
    /// Before, the temporary file was `<path>.tmp-<pid>`, opened with O_CREAT|O_TRUNC: a symlink
    /// planted under that name had the key written through it into the file it points at.
    @Test func aPlantedSymlinkAtThePredictableNameIsNotWrittenThrough() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let victim = dir.path + "/victim"
        try KeyFile.write(victim, Array("untouched\n".utf8))
        let path = dir.path + "/admin.key"
        #expect(symlink(victim, path + ".tmp-\(getpid())") == 0)
        try KeyFile.write(path, Array("secret\n".utf8))
        #expect(try KeyFile.read(victim) == Array("untouched\n".utf8))
        #expect(try KeyFile.read(path) == Array("secret\n".utf8))
        var info = stat()
        #expect(lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && info.st_mode & 0o777 == 0o600)
    }

    /// Each temporary name is new and created exclusively: a taken name is never reused.
    @Test func temporaryFilesAreExclusiveAndUnpredictable() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var names: Set<String> = []
        for _ in 0..<20 {
            let (temporary, fd) = try KeyFile.createTemporary(next: dir.path + "/k")
            close(fd)
            #expect(temporary.hasPrefix(dir.path + "/k.tmp-") && temporary.count == dir.path.count + 7 + 24)
            #expect(open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600) < 0 && errno == EEXIST)
            names.insert(temporary)
        }
        #expect(names.count == 20)
    }
}
