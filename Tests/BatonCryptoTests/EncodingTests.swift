import Testing

@testable import BatonCrypto

@Suite struct EncodingTests {
    @Test func base64RFC4648Vectors() {
        let vectors = [
            "": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=",
            "foobar": "Zm9vYmFy",
        ]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
        let all = (0...255).map { UInt8($0) }
        #expect(Base64.decode(Base64.encode(all)) == all)
        #expect(Base64.decode("  Zm9v\n") == Array("foo".utf8))
    }

    @Test func base64RefusesMalformedText() {
        for bad in ["Zg=", "Z===", "Zm9v!", "Zg==Zg==", "=Zg=", "Zm9vY"] {
            #expect(Base64.decode(bad) == nil, "\(bad)")
        }
    }

    @Test func hexRoundTripsAndRefusesMalformedText() {
        #expect(Hex.encode([0, 15, 16, 255]) == "000f10ff")
        #expect(Hex.decode("000F10ff") == [0, 15, 16, 255])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}
