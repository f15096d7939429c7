import Testing

@testable import BatonJSON

@Suite struct JSONValueTests {
    @Test func accessorsReturnValuesOnlyForTheirType() {
        let value: JSONValue = ["s": "x", "i": 3, "d": 2.0, "b": true, "a": [1], "o": ["k": nil]]
        #expect(value["s"]?.stringValue == "x")
        #expect(value["i"]?.intValue == 3)
        #expect(value["d"]?.intValue == 2)
        #expect(value["i"]?.doubleValue == 3.0)
        #expect(value["b"]?.boolValue == true)
        #expect(value["a"]?.arrayValue == [1])
        #expect(value["o"]?["k"] == .null)
        #expect(value["s"]?.intValue == nil)
        #expect(value["missing"] == nil)
        #expect(JSONValue.double(2.5).intValue == nil)
        #expect(JSONValue.string("x")["k"] == nil)
    }

    @Test func namesTypesForMessages() {
        #expect(JSONValue.null.typeName == "null")
        #expect(JSONValue.int(1).typeName == "integer")
        #expect(JSONValue.double(1.5).typeName == "number")
        #expect(JSONValue.array([]).typeName == "array")
        #expect(JSONValue.object([:]).typeName == "object")
    }
}
