import CSodium

/// XChaCha20-Poly1305 (IETF) authenticated encryption. The 24-byte nonce is random per message, so
/// nonce reuse is not a practical risk; additional data binds a ciphertext to its context (tenant
/// and secret name) so a row moved elsewhere fails to decrypt.
public enum XChaCha20Poly1305 {
    public static let keyLength = Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
    public static let nonceLength = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    public static let tagLength = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)

    public struct Sealed: Sendable, Equatable {
        public var nonce: [UInt8]
        public var ciphertext: [UInt8]
        public init(nonce: [UInt8], ciphertext: [UInt8]) {
            self.nonce = nonce
            self.ciphertext = ciphertext
        }
    }

    public enum Failure: Error, Equatable {
        /// Wrong key, wrong additional data, or a modified ciphertext: indistinguishable by design.
        case authenticationFailed
        case invalidKeyLength
        case invalidNonceLength
    }

    public static func seal(_ plaintext: [UInt8], additionalData: [UInt8], key: [UInt8]) throws(Failure) -> Sealed {
        Sodium.ensureInitialized()
        guard key.count == keyLength else { throw .invalidKeyLength }
        let nonce = SecureRandom.bytes(nonceLength)
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + tagLength)
        var written: UInt64 = 0
        _ = ciphertext.withUnsafeMutableBufferPointer { c in
            withBytes(plaintext) { p in
                withBytes(additionalData) { a in
                    crypto_aead_xchacha20poly1305_ietf_encrypt(
                        c.baseAddress!, &written, p, UInt64(plaintext.count), a,
                        UInt64(additionalData.count), nil, nonce, key)
                }
            }
        }
        return Sealed(nonce: nonce, ciphertext: Array(ciphertext.prefix(Int(written))))
    }

    public static func open(_ sealed: Sealed, additionalData: [UInt8], key: [UInt8]) throws(Failure) -> [UInt8] {
        Sodium.ensureInitialized()
        guard key.count == keyLength else { throw .invalidKeyLength }
        guard sealed.nonce.count == nonceLength else { throw .invalidNonceLength }
        guard sealed.ciphertext.count >= tagLength else { throw .authenticationFailed }
        var plaintext = [UInt8](repeating: 0, count: sealed.ciphertext.count - tagLength)
        var written: UInt64 = 0
        // One spare byte so the output pointer is never nil, even for an empty plaintext.
        plaintext.append(0)
        let rc = plaintext.withUnsafeMutableBufferPointer { p in
            sealed.ciphertext.withUnsafeBufferPointer { c in
                withBytes(additionalData) { a in
                    crypto_aead_xchacha20poly1305_ietf_decrypt(
                        p.baseAddress!, &written, nil, c.baseAddress!, UInt64(sealed.ciphertext.count), a,
                        UInt64(additionalData.count), sealed.nonce, key)
                }
            }
        }
        guard rc == 0 else { throw .authenticationFailed }
        return Array(plaintext.prefix(Int(written)))
    }
}
