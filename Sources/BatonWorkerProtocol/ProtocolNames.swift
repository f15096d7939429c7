import BatonPlatform

/// The names the protocol carries (instances, providers, issues) and its tags (SPEC §6.3).
public enum ProtocolNames {
    /// `[A-Za-z0-9._-]{1,64}`.
    public static func isName(_ text: String) -> Bool { text.isPlainName }

    /// `[A-Za-z0-9._:-]{1,64}`.
    public static func isTag(_ text: String) -> Bool {
        !text.utf8.isEmpty && text.utf8.count <= 64 && text.utf8.allSatisfy { $0.isPlainNameByte || $0 == 58 }
    }
}
