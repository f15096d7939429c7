extension Database {
    /// Whether the file gives freed pages back on `incrementalVacuum` (`auto_vacuum` is
    /// INCREMENTAL). New files are; files made before Baton set it are not until converted.
    public func hasIncrementalVacuum() async throws -> Bool {
        try await read { conn in try conn.scalar("PRAGMA auto_vacuum")?.intValue == 2 }
    }

    /// Converts a file made without incremental vacuum, once: a full `VACUUM`, which rewrites the
    /// file and takes as long as copying it. Returns false when there was nothing to do.
    public func enableIncrementalVacuum() async throws -> Bool {
        try await exclusive { conn in
            guard try conn.scalar("PRAGMA auto_vacuum")?.intValue != 2 else { return false }
            try conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            try conn.execute("VACUUM")
            return true
        }
    }

    /// Gives up to `pages` free pages back to the file system (the file shrinks at the next
    /// checkpoint); returns how many were freed. Does nothing on a file without incremental vacuum.
    @discardableResult
    public func incrementalVacuum(pages: Int) async throws -> Int {
        let limit = Int64(max(0, pages))
        return try await exclusive { conn in
            let before = try conn.scalar("PRAGMA freelist_count")?.intValue ?? 0
            try conn.execute("PRAGMA incremental_vacuum(\(limit))")
            let after = try conn.scalar("PRAGMA freelist_count")?.intValue ?? 0
            return max(0, before - after)
        }
    }

    /// Pages on the free list and in the whole file.
    public func pageCounts() async throws -> (free: Int, total: Int) {
        try await read { conn in
            (
                try conn.scalar("PRAGMA freelist_count")?.intValue ?? 0,
                try conn.scalar("PRAGMA page_count")?.intValue ?? 0
            )
        }
    }

    /// Pages on the free list: space the file holds but no table uses.
    public func freePages() async throws -> Int {
        try await read { conn in try conn.scalar("PRAGMA freelist_count")?.intValue ?? 0 }
    }
}
