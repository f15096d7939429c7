import BatonCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Where the vault's 32-byte master key comes from: `BATON_MASTER_KEY` (base64) when set, else
/// `<data_dir>/master.key` (base64, mode 0600), created on first use.
public struct MasterKey: Sendable {
    public enum Source: Sendable, Equatable {
        case environment
        case file(String)
    }

    public let bytes: [UInt8]
    public let source: Source

    public init(bytes: [UInt8], source: Source) {
        self.bytes = bytes
        self.source = source
    }

    public static let environmentVariable = "BATON_MASTER_KEY"

    public static func path(dataDir: String) -> String { dataDir + "/master.key" }
    /// A rotation writes the new key here first, and renames it over `master.key` once the
    /// re-encrypted values have committed.
    public static func pendingPath(dataDir: String) -> String { dataDir + "/master.key.new" }

    /// The configured key, or nil when neither the environment nor the file has one.
    public static func load(dataDir: String) throws -> MasterKey? {
        if let text = fromEnvironment.value {
            guard let bytes = decode(text) else {
                throw SecretVault.Failure.badMasterKey("\(environmentVariable) is not base64 of exactly 32 bytes")
            }
            return MasterKey(bytes: bytes, source: .environment)
        }
        return try loadFile(path(dataDir: dataDir))
    }

    /// `BATON_MASTER_KEY` as the process started with it, taken out of the environment at first
    /// use: unset, and its bytes overwritten where the kernel shows the process's initial
    /// environment (`/proc/<pid>/environ`), so no child and no reader of that file finds it.
    static let fromEnvironment = TakenVariable(environmentVariable)

    /// Takes the key out of the environment now (it is kept for `load`).
    public static func takeFromEnvironment() { _ = fromEnvironment }

    static func loadFile(_ path: String) throws -> MasterKey? {
        guard let content = try KeyFile.read(path) else { return nil }
        guard let bytes = decode(String(decoding: content, as: UTF8.self)) else {
            throw SecretVault.Failure.badMasterKey("\(path) is not base64 of exactly 32 bytes")
        }
        return MasterKey(bytes: bytes, source: .file(path))
    }

    public static func generate(dataDir: String) -> MasterKey {
        MasterKey(bytes: SecureRandom.bytes(XChaCha20Poly1305.keyLength), source: .file(path(dataDir: dataDir)))
    }

    public var text: String { Base64.encode(bytes) }

    static func decode(_ text: String) -> [UInt8]? {
        guard let bytes = Base64.decode(text), bytes.count == XChaCha20Poly1305.keyLength else { return nil }
        return bytes
    }
}

/// An environment variable read once and then removed from the process.
final class TakenVariable: Sendable {
    let value: String?

    init(_ name: String) {
        guard let pointer = getenv(name) else {
            value = nil
            return
        }
        value = String(cString: pointer)
        // getenv points into the variable's "NAME=value" bytes (for a variable the process started
        // with, inside the block /proc/<pid>/environ reads): blank them before unsetting.
        memset(pointer, 0x20, strlen(pointer))
        unsetenv(name)
    }
}
