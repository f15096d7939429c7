import CSodium

/// BLAKE2b (libsodium's generichash), optionally keyed: the keyed form is a MAC, used to store API
/// key secrets so a stolen database does not let anyone check guesses offline without the key.
public enum BLAKE2b {
    public static let keyLength = 32

    public static func hash(_ message: [UInt8], key: [UInt8] = [], outputLength: Int = 32) -> [UInt8] {
        Sodium.ensureInitialized()
        precondition(outputLength >= 16 && outputLength <= 64, "BLAKE2b output must be 16–64 bytes")
        precondition(key.isEmpty || (key.count >= 16 && key.count <= 64), "BLAKE2b key must be 16–64 bytes")
        var out = [UInt8](repeating: 0, count: outputLength)
        let rc = out.withUnsafeMutableBufferPointer { o in
            withBytes(message) { m in
                withBytes(key) { k in
                    crypto_generichash(
                        o.baseAddress!, outputLength, m, UInt64(message.count), key.isEmpty ? nil : k, key.count)
                }
            }
        }
        precondition(rc == 0, "crypto_generichash failed")
        return out
    }
}

/// HMAC-SHA-256 with a key of any length (Linear signs webhooks with it).
public enum HMACSHA256 {
    public static func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        Sodium.ensureInitialized()
        var state = crypto_auth_hmacsha256_state()
        var out = [UInt8](repeating: 0, count: Int(crypto_auth_hmacsha256_BYTES))
        withBytes(key) { k in _ = crypto_auth_hmacsha256_init(&state, k, key.count) }
        withBytes(message) { m in _ = crypto_auth_hmacsha256_update(&state, m, UInt64(message.count)) }
        out.withUnsafeMutableBufferPointer { o in _ = crypto_auth_hmacsha256_final(&state, o.baseAddress!) }
        return out
    }
}

/// SHA-256, for content hashes such as the audit chain.
public enum SHA256Digest {
    public static func hash(_ message: [UInt8]) -> [UInt8] {
        Sodium.ensureInitialized()
        var out = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        out.withUnsafeMutableBufferPointer { o in
            withBytes(message) { m in _ = crypto_hash_sha256(o.baseAddress!, m, UInt64(message.count)) }
        }
        return out
    }
}
