#if canImport(Glibc)
    import Glibc
#endif

/// What /proc says about running processes: for tests that show a whole process group is gone
/// (`processHasEnded` answers for one process). A zombie counts as gone: it runs nothing, and its
/// reaper may be a PID 1 that does not reap.
public enum ProcessTable {
    /// One process's state letter, parent and process group (from /proc/<pid>/stat).
    public struct Entry: Sendable, Equatable {
        public var pid: Int32
        public var state: Character
        public var parent: Int32
        public var group: Int32
    }

    public static func entry(_ pid: Int32) -> Entry? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = read(fd, &buffer, buffer.count)
        guard count > 0 else { return nil }
        // "pid (comm) state ppid pgrp …": the command may hold spaces and parentheses.
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count >= 3, let state = fields[0].first, let parent = Int32(fields[1]),
            let group = Int32(fields[2])
        else { return nil }
        return Entry(pid: pid, state: state, parent: parent, group: group)
    }

    /// Every live process (no zombies) whose process group is `group`.
    public static func members(ofGroup group: Int32) -> [Entry] {
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var found: [Entry] = []
        while let item = readdir(dir) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = Int32(name), let entry = entry(pid), entry.group == group else { continue }
            if entry.state != "Z" && entry.state != "X" { found.append(entry) }
        }
        return found
    }
}
