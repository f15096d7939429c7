import Testing

@testable import BatonCrypto

@Suite struct AEADTests {
    let key = SecureRandom.bytes(XChaCha20Poly1305.keyLength)
    let ad = Array("tenant-a/linear_api_key".utf8)

    @Test func roundTripsAndUsesAFreshNonce() throws {
        let plaintext = Array("lin_api_123".utf8)
        let a = try XChaCha20Poly1305.seal(plaintext, additionalData: ad, key: key)
        let b = try XChaCha20Poly1305.seal(plaintext, additionalData: ad, key: key)
        #expect(a.nonce != b.nonce && a.ciphertext != b.ciphertext)
        #expect(a.ciphertext.count == plaintext.count + XChaCha20Poly1305.tagLength)
        #expect(try XChaCha20Poly1305.open(a, additionalData: ad, key: key) == plaintext)
        #expect(
            try XChaCha20Poly1305.open(
                XChaCha20Poly1305.seal([], additionalData: [], key: key), additionalData: [], key: key) == [])
    }

    @Test func tamperingWrongContextOrWrongKeyFails() throws {
        let sealed = try XChaCha20Poly1305.seal(Array("value".utf8), additionalData: ad, key: key)
        var flipped = sealed
        flipped.ciphertext[0] ^= 1
        #expect(throws: XChaCha20Poly1305.Failure.authenticationFailed) {
            try XChaCha20Poly1305.open(flipped, additionalData: ad, key: key)
        }
        #expect(throws: XChaCha20Poly1305.Failure.authenticationFailed) {
            try XChaCha20Poly1305.open(sealed, additionalData: Array("tenant-b/linear_api_key".utf8), key: key)
        }
        #expect(throws: XChaCha20Poly1305.Failure.authenticationFailed) {
            try XChaCha20Poly1305.open(sealed, additionalData: ad, key: SecureRandom.bytes(32))
        }
        #expect(throws: XChaCha20Poly1305.Failure.invalidKeyLength) {
            try XChaCha20Poly1305.seal([1], additionalData: ad, key: [1, 2])
        }
        #expect(throws: XChaCha20Poly1305.Failure.authenticationFailed) {
            try XChaCha20Poly1305.open(.init(nonce: sealed.nonce, ciphertext: [1, 2]), additionalData: ad, key: key)
        }
    }
}
