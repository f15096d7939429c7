#if canImport(Glibc)
    import Glibc
#endif

/// Names read from `readdir` entries.
public enum DirectoryEntry {
    /// The entry's name, read up to its NUL through a pointer. The kernel packs entries to their
    /// length, so the last one in glibc's buffer can end well before the 256 bytes `struct dirent`
    /// declares for `d_name`; copying the field whole (`entry.pointee.d_name`) reads past it, and
    /// at the end of a mapping that is a segfault (seen in a worker's presence thread under load).
    public static func name(_ entry: UnsafePointer<dirent>) -> String {
        let offset = MemoryLayout<dirent>.offset(of: \dirent.d_name) ?? 19
        return String(cString: (UnsafeRawPointer(entry) + offset).assumingMemoryBound(to: CChar.self))
    }
}
