import Testing

@testable import BatonPlatform

/// glibc's allocator knobs: the calls are safe at any time, and the trimmer's thread stops.
@Suite struct AllocatorTests {
    @Test func trimmingAfterFreeingIsSafe() {
        var blocks: [[UInt8]] = []
        for n in 0..<20_000 { blocks.append([UInt8](repeating: UInt8(truncatingIfNeeded: n), count: 512)) }
        #expect(blocks.count == 20_000)
        blocks.removeAll()
        Allocator.trim()
        // Zero leaves glibc's default; a cap applies to arenas created from now on.
        Allocator.limitArenas(0)
        Allocator.limitArenas(8)
    }

    @Test func aTrimmerStopsAndAZeroIntervalStartsNothing() {
        let trimmer = AllocatorTrimmer(intervalMs: 3_600_000)
        trimmer.stop()
        trimmer.stop()
        AllocatorTrimmer(intervalMs: 0).stop()
    }
}
