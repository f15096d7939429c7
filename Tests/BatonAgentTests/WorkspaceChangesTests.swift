import BatonTestSupport
import Testing

@testable import BatonAgent

#if canImport(Glibc)
    import Glibc
#endif

/// What an attempt changed in its workspace: a real git checkout, and a plain directory.
@Suite struct WorkspaceChangesTests {
    static func git(_ dir: String, _ arguments: [String]) throws {
        let result = try ChildProcess.run(
            "/usr/bin/git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com"] + arguments)
        #expect(result.status == 0, "git \(arguments): \(result.stderr)")
    }

    @Test func aGitCheckoutAnswersWithStatusAndDiffStat() async throws {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        try Self.git(dir, ["init", "-q", "-b", "main"])
        RealAgents.writeFile(dir + "/kept.txt", "one\n")
        RealAgents.writeFile(dir + "/gone.txt", "bye\n")
        try Self.git(dir, ["add", "."])
        try Self.git(dir, ["commit", "-q", "-m", "start"])
        let changes = await WorkspaceChanges.start(path: dir)
        #expect(changes.isGit)
        RealAgents.writeFile(dir + "/kept.txt", "one\ntwo\n")
        unlink(dir + "/gone.txt")
        RealAgents.writeFile(dir + "/new file.txt", "new\n")
        let (files, stat) = await changes.changes()
        #expect(
            files == [
                FileChange("gone.txt", .deleted), FileChange("kept.txt", .modified),
                FileChange("new file.txt", .untracked),
            ], "\(files)")
        #expect(stat?.contains("2 files changed") == true, "\(stat ?? "nil")")
    }

    @Test func aPlainDirectoryIsComparedWithItsListingBefore() async throws {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        mkdir(dir + "/src", 0o755)
        RealAgents.writeFile(dir + "/src/a.swift", "let a = 1\n")
        RealAgents.writeFile(dir + "/old.txt", "x")
        RealAgents.writeFile(dir + "/same.txt", "same")
        let changes = await WorkspaceChanges.start(path: dir)
        #expect(!changes.isGit)
        RealAgents.writeFile(dir + "/src/a.swift", "let a = 2 // longer\n")
        unlink(dir + "/old.txt")
        RealAgents.writeFile(dir + "/src/b.swift", "let b = 1\n")
        let (files, stat) = await changes.changes()
        #expect(
            files == [
                FileChange("old.txt", .deleted), FileChange("src/a.swift", .modified),
                FileChange("src/b.swift", .added),
            ], "\(files)")
        #expect(stat == nil)
    }

    /// Work the agent committed counts, not only what it left uncommitted.
    @Test func committedWorkCounts() async throws {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        try Self.git(dir, ["init", "-q", "-b", "main"])
        RealAgents.writeFile(dir + "/a.txt", "a\n")
        try Self.git(dir, ["add", "."])
        try Self.git(dir, ["commit", "-q", "-m", "start"])
        let changes = await WorkspaceChanges.start(path: dir)
        RealAgents.writeFile(dir + "/b.txt", "b\n")
        try Self.git(dir, ["add", "b.txt"])
        try Self.git(dir, ["commit", "-q", "-m", "the agent's commit"])
        RealAgents.writeFile(dir + "/a.txt", "a2\n")
        let (files, stat) = await changes.changes()
        #expect(files == [FileChange("a.txt", .modified), FileChange("b.txt", .added)], "\(files)")
        #expect(stat?.contains("2 files changed") == true)
    }

    /// The repository's configuration is the agent's to write: an fsmonitor command in it does
    /// not run when Baton asks git what changed (plain `git status` runs it: the probe can fail).
    @Test func aCommandInTheRepositorysConfigDoesNotRun() async throws {
        let dir = temporaryDirectory()
        let outside = temporaryDirectory()
        defer {
            Workspaces.removeTree(dir)
            Workspaces.removeTree(outside)
        }
        try Self.git(dir, ["init", "-q", "-b", "main"])
        RealAgents.writeFile(dir + "/a.txt", "a\n")
        try Self.git(dir, ["add", "."])
        try Self.git(dir, ["commit", "-q", "-m", "start"])
        try Self.git(dir, ["config", "core.fsmonitor", "touch \(outside)/ran; false"])
        let changes = await WorkspaceChanges.start(path: dir)
        RealAgents.writeFile(dir + "/a.txt", "b\n")
        _ = await changes.changes()
        _ = await WorkspaceChanges.git(["status", "--porcelain"], in: dir)
        #expect(access(outside + "/ran", F_OK) != 0)
        _ = try ChildProcess.run("/usr/bin/git", ["-C", dir, "status", "--porcelain"])
        #expect(access(outside + "/ran", F_OK) == 0, "plain git status should have run the fsmonitor command")
    }

    @Test func nameStatusLinesAreRead() {
        #expect(
            WorkspaceChanges.parseNameStatus("M\ta.swift\nA\tb.swift\nD\tc.swift\nR087\told.swift\tnew.swift\nbad\n")
                == [
                    FileChange("a.swift", .modified), FileChange("b.swift", .added), FileChange("c.swift", .deleted),
                    FileChange("new.swift", .renamed),
                ])
    }

    @Test func porcelainLinesAreRead() {
        let text =
            " M Sources/a.swift\nA  added.swift\nR  old.swift -> new.swift\n D gone.swift\n?? \"with space.txt\"\nxx\n"
        #expect(
            WorkspaceChanges.parsePorcelain(text) == [
                FileChange("Sources/a.swift", .modified), FileChange("added.swift", .added),
                FileChange("new.swift", .renamed), FileChange("gone.swift", .deleted),
                FileChange("with space.txt", .untracked),
            ])
    }

    @Test func theListingStopsAtItsLimit() {
        let dir = temporaryDirectory()
        defer { Workspaces.removeTree(dir) }
        for i in 0..<30 { RealAgents.writeFile(dir + "/f\(i)", "") }
        #expect(WorkspaceChanges.listing(dir, limit: 10).count == 10)
        #expect(WorkspaceChanges.listing(dir).count == 30)
    }
}
