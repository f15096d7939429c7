import Testing

@testable import BatonCore

@Suite struct TimestampTests {
    @Test func formatsEpochWithMilliseconds() {
        #expect(Timestamp.format(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.format(milliseconds: 1_795_863_172_123) == "2026-11-28T10:52:52.123Z")
    }

    @Test func formatsLeapDayAndYearEnd() {
        // 2024-02-29T23:59:59.999Z and one millisecond later.
        #expect(Timestamp.format(milliseconds: 1_709_251_199_999) == "2024-02-29T23:59:59.999Z")
        #expect(Timestamp.format(milliseconds: 1_709_251_200_000) == "2024-03-01T00:00:00.000Z")
        #expect(Timestamp.format(milliseconds: 1_735_689_599_000) == "2024-12-31T23:59:59.000Z")
    }

    @Test func formatsTimesBeforeTheEpoch() {
        #expect(Timestamp.format(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
    }

    /// Any Int64 formats without a trap (a Linear reset header of Int64.min reached here); times
    /// outside what gmtime covers are not meaningful, only safe.
    @Test func formatsEveryInt64WithoutATrap() {
        for ms in [Int64.min, Int64.min + 1, -1_000, Int64.max, Int64.max - 999] {
            #expect(Timestamp.format(milliseconds: ms).hasSuffix("Z"), "\(ms)")
        }
        #expect(Timestamp.format(milliseconds: Int64.min).hasSuffix(".192Z"))
    }

    @Test func nowIsCurrentAndWellFormed() {
        let now = Timestamp.now()
        #expect(now.count == 24)
        #expect(now.hasSuffix("Z"))
        #expect(now.hasPrefix("20"))
        let ms = Timestamp.nowMilliseconds()
        #expect(ms > 1_700_000_000_000)
    }
}
