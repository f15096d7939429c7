import Testing

@testable import BatonCore

@Suite struct APIKeyTokenTests {
    @Test func generatedTokensParseBackAndDiffer() throws {
        let a = APIKeyToken.generate()
        let b = APIKeyToken.generate()
        #expect(a != b)
        #expect(a.text.hasPrefix("bt_"))
        #expect(a.text.count == 3 + 8 + 1 + 40)
        #expect(APIKeyToken(parsing: a.text) == a)
        #expect(APIKeyToken.isValidID(a.id))
    }

    @Test(arguments: [
        "", "bt_", "bt_abcdefgh", "xx_abcdefgh_" + String(repeating: "A", count: 40),
        "bt_ABCDEFGH_" + String(repeating: "A", count: 40), "bt_abcdefg_" + String(repeating: "A", count: 41),
        "bt_abcdefgh_" + String(repeating: "A", count: 39), "bt_abcdefgh_" + String(repeating: "A", count: 41),
        "bt_abcdefgh-" + String(repeating: "A", count: 40), "bt_abcdefgh_" + String(repeating: "A", count: 39) + "!",
        "bt_abcdéfgh_" + String(repeating: "A", count: 40),
    ])
    func malformedTokensDoNotParse(text: String) {
        #expect(APIKeyToken(parsing: text) == nil)
    }
}
