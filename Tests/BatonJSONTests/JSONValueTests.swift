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

    /// Numbers from outside input that no Int64 holds are nil, not a trap (a trap would end the
    /// test process, failing the suite).
    @Test func intValueRefusesWhatNoInt64Holds() throws {
        for d in [1e19, -1e19, 9.2233720368547758e18, 1e300, -1e300, 0.5, -2.5] {
            #expect(JSONValue.double(d).intValue == nil, "\(d)")
        }
        #expect(JSONValue.double(-9.2233720368547758e18).intValue == Int64.min)
        #expect(JSONValue.double(-0.0).intValue == 0)
        #expect(JSONValue.double(9_007_199_254_740_992).intValue == 9_007_199_254_740_992)
        let parsed = try JSONParser.parse(Array(#"{"a":1e19,"b":99999999999999999999,"c":-1e19,"d":3e0}"#.utf8))
        #expect(parsed["a"]?.intValue == nil && parsed["b"]?.intValue == nil && parsed["c"]?.intValue == nil)
        #expect(parsed["d"]?.intValue == 3)
    }

    @Test func namesTypesForMessages() {
        #expect(JSONValue.null.typeName == "null")
        #expect(JSONValue.int(1).typeName == "integer")
        #expect(JSONValue.double(1.5).typeName == "number")
        #expect(JSONValue.array([]).typeName == "array")
        #expect(JSONValue.object([:]).typeName == "object")
    }
}
