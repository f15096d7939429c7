import Testing

@testable import BatonCrypto

@Suite struct HashingTests {
    @Test func sha256KnownVectors() {
        #expect(
            Hex.encode(SHA256Digest.hash(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(SHA256Digest.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // Two blocks, and many (printf 'a%.0s' $(seq 1000) | sha256sum).
        #expect(
            Hex.encode(SHA256Digest.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            Hex.encode(SHA256Digest.hash(Array(repeating: UInt8(ascii: "a"), count: 1000)))
                == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test func hmacSHA256RFC4231Case2() {
        let mac = HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func blake2bKnownVectorAndKeying() {
        #expect(
            Hex.encode(BLAKE2b.hash(Array("abc".utf8), outputLength: 64))
                == "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
        )
        let key1 = [UInt8](repeating: 1, count: 32)
        let key2 = [UInt8](repeating: 2, count: 32)
        let message = Array("secret".utf8)
        #expect(BLAKE2b.hash(message, key: key1) == BLAKE2b.hash(message, key: key1))
        #expect(BLAKE2b.hash(message, key: key1) != BLAKE2b.hash(message, key: key2))
        #expect(BLAKE2b.hash(message, key: key1) != BLAKE2b.hash(message))
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equals([], []))
    }

    @Test func randomBytesDiffer() {
        let a = SecureRandom.bytes(32)
        let b = SecureRandom.bytes(32)
        #expect(a.count == 32 && a != b)
    }

    @Test func zeroizeClears() {
        var secret: [UInt8] = [9, 9, 9]
        zeroize(&secret)
        #expect(secret == [0, 0, 0])
    }
}
