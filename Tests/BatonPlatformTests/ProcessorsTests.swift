import Foundation
import Testing

@testable import BatonPlatform

@Suite struct ProcessorsTests {
    /// The count agrees with the kernel's own account of this process's affinity
    /// (`Cpus_allowed_list` in /proc/self/status: ranges such as `0-3,8`).
    @Test func usableCountsTheAffinityMask() throws {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        let list = line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces)
        var expected = 0
        for part in list.split(separator: ",") {
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            let first = try #require(bounds.first)
            expected += (bounds.count == 2 ? bounds[1] : first) - first + 1
        }
        #expect(expected >= 1)
        #expect(Processors.usable == expected)
    }
}
