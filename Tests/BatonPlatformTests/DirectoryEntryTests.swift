import Testing

@testable import BatonPlatform

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct DirectoryEntryTests {
    /// A short entry that ends at the last byte before an unreadable page, as the last entry of
    /// glibc's readdir buffer can: its name is read without touching the next page. Copying
    /// `d_name` whole (256 bytes) would fault here and end the test run.
    @Test func aShortEntryAtTheEndOfAMappingIsReadUpToItsEnd() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let mapping = try #require(
            mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        #expect(mapping != MAP_FAILED)
        defer { munmap(mapping, 2 * page) }
        #expect(mprotect(mapping + page, page, PROT_NONE) == 0)
        let offset = try #require(MemoryLayout<dirent>.offset(of: \dirent.d_name))
        let name = Array("ab".utf8CString)  // with its NUL
        let record = offset + name.count
        let start = mapping + page - record
        start.storeBytes(
            of: UInt16(record), toByteOffset: MemoryLayout<dirent>.offset(of: \dirent.d_reclen)!, as: UInt16.self)
        for (index, byte) in name.enumerated() {
            start.storeBytes(of: byte, toByteOffset: offset + index, as: CChar.self)
        }
        #expect(DirectoryEntry.name(start.assumingMemoryBound(to: dirent.self)) == "ab")
    }

    @Test func readsTheNamesOfARealDirectory() throws {
        var template = Array("/tmp/baton-dirent-XXXXXX".utf8CString)
        let made = try #require(mkdtemp(&template))
        let root = String(cString: made)
        defer {
            for name in ["a", String(repeating: "n", count: 255)] { rmdir(root + "/" + name) }
            rmdir(root)
        }
        let long = String(repeating: "n", count: 255)
        #expect(mkdir(root + "/a", 0o700) == 0)
        #expect(mkdir(root + "/" + long, 0o700) == 0)
        let dir = try #require(opendir(root))
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) { names.append(DirectoryEntry.name(entry)) }
        #expect(names.sorted() == [".", "..", "a", long])
    }
}
