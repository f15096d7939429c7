import BatonCrypto

/// The text form of an API key, `bt_<id>_<secret>`: an 8-character public id (lower-case letters and
/// digits) and a 40-character secret (letters and digits, about 238 bits).
public struct APIKeyToken: Sendable, Equatable {
    public static let idLength = 8
    public static let secretLength = 40

    public var id: String
    public var secret: String

    public var text: String { "bt_\(id)_\(secret)" }

    /// Parses a presented key; nil for anything not exactly of the key's shape.
    public init?(parsing text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 3 + Self.idLength + 1 + Self.secretLength,
            utf8[0] == UInt8(ascii: "b"), utf8[1] == UInt8(ascii: "t"), utf8[2] == UInt8(ascii: "_"),
            utf8[3 + Self.idLength] == UInt8(ascii: "_")
        else { return nil }
        let id = utf8[3..<(3 + Self.idLength)]
        let secret = utf8[(4 + Self.idLength)...]
        guard id.allSatisfy(Self.isIDCharacter), secret.allSatisfy(Self.isSecretCharacter) else { return nil }
        self.id = String(decoding: id, as: UTF8.self)
        self.secret = String(decoding: secret, as: UTF8.self)
    }

    init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }

    public static func isValidID(_ text: String) -> Bool {
        text.utf8.count == idLength && text.utf8.allSatisfy(isIDCharacter)
    }

    /// A new random key.
    public static func generate() -> APIKeyToken {
        APIKeyToken(
            id: randomString(idLength, alphabet: Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)),
            secret: randomString(
                secretLength, alphabet: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)))
    }

    private static func isIDCharacter(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }

    private static func isSecretCharacter(_ c: UInt8) -> Bool {
        isIDCharacter(c) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
    }

    /// Uniform characters: bytes that would bias the modulo are rejected and redrawn.
    private static func randomString(_ count: Int, alphabet: [UInt8]) -> String {
        let limit = 256 - 256 % alphabet.count
        var out: [UInt8] = []
        while out.count < count {
            for b in SecureRandom.bytes(count * 2) where Int(b) < limit && out.count < count {
                out.append(alphabet[Int(b) % alphabet.count])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
