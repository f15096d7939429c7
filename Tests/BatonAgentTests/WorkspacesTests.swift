import BatonTestSupport
import BatonWorkerProtocol
import Testing

@testable import BatonAgent

#if canImport(Glibc)
    import Glibc
#endif

/// A fresh directory under /tmp for one test.
func temporaryDirectory() -> String {
    var template = Array("/tmp/baton-agent-test-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil, "mkdtemp failed")
    return String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
}

@Suite struct WorkspacesTests {
    @Test func namesKeepSafeCharactersAndReplaceTheRest() throws {
        #expect(try Workspaces.name(for: "ENG-123") == "ENG-123")
        #expect(try Workspaces.name(for: "job-7") == "job-7")
        #expect(try Workspaces.name(for: "a b:c*d") == "a_b_c_d")
        #expect(try Workspaces.name(for: "é") == "_")
    }

    @Test(arguments: ["../x", "/etc", "..", ".", "", "a/../../b", "a\\b", ".hidden", "x..y"])
    func keysThatCouldLeaveTheRootAreRefused(key: String) {
        #expect(throws: WorkspaceError.self) { try Workspaces.name(for: key) }
    }

    @Test func aWorkspaceIsCreatedOnceAndReused() throws {
        let root = temporaryDirectory()
        defer { Workspaces.removeTree(root) }
        let workspaces = Workspaces(root: root + "/nested/root")
        let first = try workspaces.prepare(key: "ENG-1")
        #expect(first.created && first.path.hasSuffix("/nested/root/ENG-1"))
        let again = try workspaces.prepare(key: "ENG-1")
        #expect(!again.created && again.path == first.path)
        try workspaces.remove(key: "ENG-1")
        #expect(access(first.path, F_OK) != 0)
    }

    @Test func aSymlinkPointingOutsideTheRootIsRefused() throws {
        let root = temporaryDirectory()
        let outside = temporaryDirectory()
        defer {
            Workspaces.removeTree(root)
            Workspaces.removeTree(outside)
        }
        #expect(symlink(outside, root + "/ENG-2") == 0)
        #expect(throws: WorkspaceError.self) { try Workspaces(root: root).prepare(key: "ENG-2") }
        // Removing it removes the link only, never what it points to.
        #expect(throws: WorkspaceError.self) { try Workspaces(root: root).remove(key: "ENG-2") }
        #expect(access(outside, F_OK) == 0)
    }

    @Test func removalDoesNotFollowLinksInside() throws {
        let root = temporaryDirectory()
        let precious = temporaryDirectory()
        defer {
            Workspaces.removeTree(root)
            Workspaces.removeTree(precious)
        }
        let workspace = try Workspaces(root: root).prepare(key: "ENG-3")
        #expect(symlink(precious, workspace.path + "/link") == 0)
        #expect(DryRunRunner.write("keep", to: precious + "/file"))
        try Workspaces(root: root).remove(key: "ENG-3")
        #expect(access(workspace.path, F_OK) != 0)
        #expect(access(precious + "/file", F_OK) == 0)
    }
}

@Suite struct WorkspaceUsageTests {
    @Test func usageCountsBlocksAndTheNewestChangeWithoutFollowingLinks() throws {
        let root = TemporaryDirectory(prefix: "baton-usage")
        defer { root.remove() }
        root.write("ENG-1/a.txt", String(repeating: "x", count: 10_000))
        root.write("ENG-1/src/b.txt", "hello")
        symlink("/usr", root.path + "/ENG-1/link")  // must not be walked into
        let usage = try #require(Workspaces(root: root.path).usage("ENG-1"))
        #expect(usage.bytes >= 12_288 && usage.bytes < 1_000_000, "\(usage.bytes)")
        #expect(abs(usage.modifiedMs - Int64(time(nil)) * 1000) < 60_000)
        #expect(Workspaces(root: root.path).usage("missing") == nil)
        #expect(Timestamp.format(milliseconds: 1_764_626_969_085) == "2025-12-01T22:09:29.085Z")
    }
}

@Suite struct WorkspaceTreeRemovalTests {
    /// Removing a workspace never follows a link out of it: what a link points at survives.
    @Test func removalDoesNotFollowLinks() throws {
        let top = temporaryDirectory()
        defer { Workspaces.removeTree(top) }
        let outside = top + "/outside"
        let workspace = top + "/ENG-1"
        for dir in [outside, workspace, workspace + "/src", workspace + "/src/deep"] { mkdir(dir, 0o755) }
        RealAgents.writeFile(outside + "/baton.db", "precious")
        RealAgents.writeFile(workspace + "/src/deep/file.txt", "x")
        symlink(outside, workspace + "/src/link-to-dir")
        symlink(outside + "/baton.db", workspace + "/link-to-file")
        Workspaces.removeTree(workspace)
        #expect(access(workspace, F_OK) != 0)
        #expect(RealAgents.read(outside + "/baton.db") == "precious")
        // A path that is itself a link is unlinked, not walked.
        symlink(outside, top + "/alias")
        Workspaces.removeTree(top + "/alias")
        #expect(access(top + "/alias", F_OK) != 0 && access(outside + "/baton.db", F_OK) == 0)
    }
}
