import CSodium

/// libsodium, initialised once per process before any other call (sodium_init is idempotent and
/// thread-safe, but calling it on every operation would be wasteful).
enum Sodium {
    private static let initialized: Bool = sodium_init() >= 0

    static func ensureInitialized() {
        precondition(initialized, "libsodium failed to initialise")
    }
}

/// Cryptographically secure random bytes.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        Sodium.ensureInitialized()
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, count) }
        return out
    }
}

/// Comparison whose time does not depend on where the inputs differ (for secrets and MACs).
public enum ConstantTime {
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        Sodium.ensureInitialized()
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in sodium_memcmp(pa.baseAddress!, pb.baseAddress!, a.count) == 0 }
        }
    }
}

/// Overwrites secret material in place, in a way the optimiser cannot remove.
public func zeroize(_ bytes: inout [UInt8]) {
    guard !bytes.isEmpty else { return }
    bytes.withUnsafeMutableBytes { sodium_memzero($0.baseAddress!, $0.count) }
}

/// A non-null pointer to `bytes` even when empty: libsodium wants real pointers and reads none of
/// an empty input, but Swift gives empty arrays a nil base address.
func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafePointer<UInt8>) -> R) -> R {
    if bytes.isEmpty {
        let one: [UInt8] = [0]
        return one.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
    return bytes.withUnsafeBufferPointer { body($0.baseAddress!) }
}
