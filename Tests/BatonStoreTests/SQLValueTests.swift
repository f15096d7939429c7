import Testing

@testable import BatonStore

@Suite struct SQLValueTests {
    @Test func literals() {
        let values: [SQLValue] = [nil, 42, 1.5, "x", true, false]
        #expect(values == [.null, .integer(42), .real(1.5), .text("x"), .integer(1), .integer(0)])
    }

    @Test func bindableSwiftValues() {
        let name: String? = nil
        let bytes: [UInt8] = [0, 1]
        let values: [any SQLBindable] = [7, Int64(8), 2.5, "s", true, bytes, name, Optional(3)]
        #expect(
            values.map(\.sqlValue) == [
                .integer(7), .integer(8), .real(2.5), .text("s"), .integer(1), .blob([0, 1]), .null,
                .integer(3),
            ])
    }

    @Test func accessorsConvertOnlyWhenLossless() {
        #expect(SQLValue.integer(3).intValue == 3)
        #expect(SQLValue.real(3).intValue == 3)
        #expect(SQLValue.real(3.5).intValue == nil)
        #expect(SQLValue.text("3").intValue == nil)
        #expect(SQLValue.integer(2).doubleValue == 2)
        #expect(SQLValue.integer(0).boolValue == false)
        #expect(SQLValue.integer(5).boolValue == true)
        #expect(SQLValue.null.boolValue == nil)
        #expect(SQLValue.text("a").stringValue == "a")
        #expect(SQLValue.blob([1]).stringValue == nil)
        #expect(SQLValue.blob([1]).blobValue == [1])
        #expect(SQLValue.null.isNull)
    }

    @Test func descriptionIsSQLLike() {
        #expect(SQLValue.text("it's").description == "'it''s'")
        #expect(SQLValue.blob([0x00, 0xff]).description == "X'00ff'")
        #expect(SQLValue.null.description == "NULL")
    }
}
