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
        let name = gethostname(&buffer, buffer.count) == 0 ? String(cString: buffer) : "localhost"
        return NodeIdentity(name: name.isEmpty ? "localhost" : name, os: "linux")
    }
}
