import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// A Landlock sandbox for one child process (SPEC §7.11): read-write beneath `readWrite`, read-only (read and
/// execute) beneath `readOnly`, nothing else on the filesystem; TCP connections only to
/// `connectPorts` when given and the kernel can enforce it; no signals to, or abstract sockets of,
/// processes outside it (ABI 6+).
///
/// Landlock restricts a thread and what it starts. So the child is spawned from a thread made for
/// that one spawn, which restricts itself first and then ends: nothing else in Baton ever runs
/// restricted, and the child and everything it starts inherit the restriction (no fork in Swift).
/// A supervised child (`Supervisor`) is restricted by its supervisor instead, which enters the
/// same ruleset before it starts the child.
public struct Sandbox: Sendable, Equatable {
    public var readWrite: [String]
    public var readOnly: [String]
    /// nil: outbound network unrestricted.
    public var connectPorts: [UInt16]?

    public init(readWrite: [String], readOnly: [String], connectPorts: [UInt16]? = nil) {
        self.readWrite = readWrite
        self.readOnly = readOnly
        self.connectPorts = connectPorts
    }

    /// The kernel's Landlock ABI version; 0 when it has none (or it is disabled).
    public static let abi: Int = {
        let version = baton_landlock_abi()
        return version > 0 ? Int(version) : 0
    }()

    public static var isAvailable: Bool { abi > 0 }

    /// System paths every sandboxed child may read and execute (those that exist).
    public static let systemReadOnly = [
        "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/sys",
        // Of /run only what name resolution reads (/etc/resolv.conf often points there): the rest
        // holds sockets and credentials.
        "/run/systemd/resolve", "/run/resolvconf", "/var/lib/ca-certificates",
    ]
    /// Device files every sandboxed child may use. Named one by one, never `/dev` as a whole: as
    /// root, a child could otherwise open the disk itself (/dev/vda, /dev/sda), /dev/kmsg or a
    /// loop device and read the data directory around every path rule.
    public static let systemDevices = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"]
    /// Pseudo-terminals (an agent may run commands in one): these alone also take device ioctls.
    public static let systemTerminals = ["/dev/ptmx", "/dev/pts"]

    // LANDLOCK_ACCESS_FS_* bits.
    static let execute: UInt64 = 1 << 0
    static let writeFile: UInt64 = 1 << 1
    static let readFile: UInt64 = 1 << 2
    static let readDir: UInt64 = 1 << 3
    static let makeChar: UInt64 = 1 << 6
    static let makeBlock: UInt64 = 1 << 11
    static let truncate: UInt64 = 1 << 14
    static let ioctlDev: UInt64 = 1 << 15

    /// Every filesystem right the running kernel's ABI knows.
    static func handledFilesystem(abi: Int) -> UInt64 {
        var rights: UInt64 = (1 << 13) - 1  // ABI 1: execute … make_sym
        if abi >= 2 { rights |= 1 << 13 }  // refer
        if abi >= 3 { rights |= truncate }
        if abi >= 5 { rights |= ioctlDev }
        return rights
    }

    /// Rights that may be granted on a file rather than a directory.
    static let fileRights: UInt64 = execute | writeFile | readFile | truncate | ioctlDev

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// What is in force, for the attempt's record: `landlock (ABI 7)`.
    public var description: String { "landlock (ABI \(Self.abi))" }

    /// A ruleset file descriptor with every rule added (paths that do not exist are skipped).
    func makeRuleset() throws(Failure) -> Int32 {
        let abi = Self.abi
        guard abi > 0 else { throw Failure(description: "this kernel has no Landlock") }
        let handled = Self.handledFilesystem(abi: abi)
        let connect: UInt64 = 1 << 1  // LANDLOCK_ACCESS_NET_CONNECT_TCP
        let net: UInt64 = connectPorts != nil && abi >= 4 ? connect : 0
        let scoped: UInt64 = abi >= 6 ? 0b11 : 0  // abstract unix sockets, signals
        let ruleset = baton_landlock_create(handled, net, scoped, Int32(abi))
        guard ruleset >= 0 else {
            throw Failure(description: "landlock_create_ruleset: \(String(cString: strerror(errno)))")
        }
        func allow(_ path: String, _ rights: UInt64) throws(Failure) {
            let fd = baton_open_path(path)
            guard fd >= 0 else { return }  // absent: nothing to allow
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0 else { return }
            let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
            let granted = (isDirectory ? rights : rights & Self.fileRights) & handled
            guard baton_landlock_allow_path(ruleset, fd, granted) == 0 else {
                let reason = String(cString: strerror(errno))
                close(ruleset)
                throw Failure(description: "landlock_add_rule \(path): \(reason)")
            }
        }
        let readOnlyRights = Self.execute | Self.readFile | Self.readDir
        // Writable paths never allow making device nodes or device ioctls: a root agent could
        // otherwise make a node for the disk in its own workspace and open it there.
        let readWriteRights = handled & ~(Self.makeChar | Self.makeBlock | Self.ioctlDev)
        for path in Self.systemReadOnly + readOnly { try allow(path, readOnlyRights) }
        for path in readWrite { try allow(path, readWriteRights) }
        for path in Self.systemDevices { try allow(path, Self.readFile | Self.writeFile) }
        for path in Self.systemTerminals {
            try allow(path, Self.readFile | Self.writeFile | Self.readDir | Self.ioctlDev)
        }
        if net != 0 {
            for port in connectPorts ?? [] where baton_landlock_allow_port(ruleset, UInt64(port), connect) != 0 {
                close(ruleset)
                throw Failure(description: "landlock_add_rule port \(port): \(String(cString: strerror(errno)))")
            }
        }
        return ruleset
    }

    /// Restricts the calling thread, and every process it starts from then on, to `ruleset`:
    /// no_new_privs, the Landlock domain, no capabilities. For good: only a thread that ends
    /// afterwards (`run`) or a process made for one child (`Supervisor`) calls it.
    static func enter(ruleset: Int32) throws(Failure) {
        if baton_no_new_privs() != 0 {
            throw Failure(description: "prctl(PR_SET_NO_NEW_PRIVS): \(String(cString: strerror(errno)))")
        }
        if baton_landlock_restrict_self(ruleset) != 0 {
            throw Failure(description: "landlock_restrict_self: \(String(cString: strerror(errno)))")
        }
        if baton_drop_capabilities() != 0 {
            // Root without capabilities: no mounts, raw I/O, module loading or ptrace, and
            // nothing regained at exec (the bounding set is empty, no_new_privs is set).
            throw Failure(description: "dropping capabilities: \(String(cString: strerror(errno)))")
        }
    }

    /// Runs `spawn` on a new thread restricted by this sandbox, and waits for it: the thread ends
    /// right after, so its restriction dies with it.
    func run<T: Sendable>(_ spawn: @escaping @Sendable () throws -> T) throws -> T {
        let ruleset = try makeRuleset()
        defer { close(ruleset) }
        let done = ConditionLock()
        nonisolated(unsafe) var outcome: Result<T, any Error>?
        OSThread.detach(name: "baton-sandbox") {
            let result: Result<T, any Error>
            do {
                try Self.enter(ruleset: ruleset)
                result = Result { try spawn() }
            } catch {
                result = .failure(error)
            }
            done.withLock {
                outcome = result
                done.broadcast()
            }
        }
        return try done.withLock {
            while outcome == nil { done.wait() }
            return try outcome!.get()
        }
    }
}
