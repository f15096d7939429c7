#if canImport(Glibc)
    import Glibc
#endif

/// The machine a Baton process runs on, as `/health` and the node API report it.
public struct NodeIdentity: Sendable, Equatable {
    public var name: String
    public var os: String

    public init(name: String, os: String) {
        self.name = name
        self.os = os
    }

    public static func current() -> NodeIdentity {
        var buffer = [CChar](repeating: 0, count: 256)
        let ok = gethostname(&buffer, buffer.count - 1) == 0
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let name = ok ? String(decoding: bytes, as: UTF8.self) : "localhost"
        return NodeIdentity(name: name.isEmpty ? "localhost" : name, os: "linux")
    }
}
