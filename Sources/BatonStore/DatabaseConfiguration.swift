import BatonPlatform

/// Tuning for a `Database`. The defaults suit Baton's coordinator on a small machine.
public struct DatabaseConfiguration: Sendable, Hashable {
    /// Read connections, each on its own thread (at least 1).
    public var readerCount: Int
    /// Read connections lent to the calling thread by `keyedRead` (0: every read goes to the
    /// reader threads). One per usable CPU, like the event loops, so loops rarely find none free.
    public var inlineReaderCount: Int
    /// How long a connection waits for a lock before failing with `SQLiteError.busy`.
    public var busyTimeoutMs: Int
    /// Prepared statements kept per connection (0 disables the cache).
    public var statementCacheSize: Int
    /// Most write closures committed together in one transaction (group commit; at least 1).
    public var maxBatch: Int
    /// WAL size in pages (4 KiB each) at which the background checkpointer copies it back into
    /// the database file (SQLite's own default threshold is 1000).
    public var checkpointPages: Int
    /// The WAL file's size is cut back to at most this many bytes whenever the writer starts it
    /// over after a checkpoint (`journal_size_limit`): a burst that grew it does not keep the disk.
    public var walSizeLimitBytes: Int
    /// The writer's page cache in KiB (SQLite's default is 2,000). Every write touches the
    /// recent end of each table and index and a prune the old end; with too small a cache the
    /// writer re-reads those pages from the file at every batch (a soak at 150 jobs a second spent
    /// most of the writer's time copying pages in `pread`). Given back after each quiet spell.
    public var writerCacheKiB: Int
    /// A connection that has had no work for this long gives its page cache back to the heap
    /// (`sqlite3_db_release_memory`), once per quiet spell, so memory falls after a load (0: never).
    public var idleReleaseMs: Int
    /// Times every statement the writer runs and every batch it commits (`Database.writerProfile`);
    /// a diagnostic for finding what a loaded writer spends its time on (SPEC §1.3).
    public var profileWriter: Bool = false

    public init(
        readerCount: Int = 2, inlineReaderCount: Int = Processors.usable, busyTimeoutMs: Int = 5000,
        statementCacheSize: Int = 64,
        maxBatch: Int = 64, checkpointPages: Int = 1000, walSizeLimitBytes: Int = 16 * 1_048_576,
        idleReleaseMs: Int = 30_000, writerCacheKiB: Int = 32_768
    ) {
        self.writerCacheKiB = writerCacheKiB
        self.idleReleaseMs = idleReleaseMs
        self.checkpointPages = checkpointPages
        self.walSizeLimitBytes = walSizeLimitBytes
        self.readerCount = readerCount
        self.inlineReaderCount = inlineReaderCount
        self.busyTimeoutMs = busyTimeoutMs
        self.statementCacheSize = statementCacheSize
        self.maxBatch = maxBatch
    }
}
