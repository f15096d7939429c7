import BatonJSON
import Testing

@testable import BatonCore
@testable import BatonTemplates

#if canImport(Glibc)
    import Glibc
#endif

/// The `templates.*` limits, on the parser and renderer directly: each exceeded limit is an error
/// naming the limit and the place (line and column) where it was crossed, and arrives quickly.
@Suite struct TemplateBudgetTests {
    static let variables: [String: JSONValue] = [
        "issue": ["title": "Fix the login page", "labels": ["bug", "frontend"]],
        "many": .array((0..<30).map { .int($0) }), "one": [1],
        "long": .string(String(repeating: "a", count: 60_000)),
    ]

    /// `count` `for` loops over `list`, one per line (the line breaks trimmed), around `inner`.
    static func nestedLoops(_ count: Int, over list: String = "issue.labels", inner: String = "x") -> String {
        (0..<count).map { ($0 == 0 ? "{% for" : "{%- for") + " a in \(list) %}" }.joined(separator: "\n") + inner
            + String(repeating: "{% endfor %}", count: count)
    }

    /// The CPU time this thread has used. "Quickly" below is measured with it: it counts the
    /// work a refusal did (a million iterations would be seconds of it), and not the time a
    /// loaded two-core machine ran other threads instead, which a wall clock also counts. The
    /// tests are synchronous, so the whole measured span runs on this one thread.
    static func threadCPUTime() -> Duration {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
    }

    static func limits(
        depth: Int = 16, iterations: Int = 10_000, bytes: Int = 1_048_576, ms: Int = 1000
    ) -> TemplateLimits {
        TemplateLimits(maxDepth: depth, maxLoopIterations: iterations, maxOutputBytes: bytes, maxRenderMs: ms)
    }

    func render(_ source: String, _ limits: TemplateLimits = TemplateLimits()) throws(TemplateError) -> String {
        try Template(source, limits: limits).render(Self.variables, limits: limits)
    }

    /// The issue's reproduction: ~811 bytes, 20 nested loops over a two-item list, which took 4.8 s
    /// to render (about a million iterations). Refused when parsed, at the 17th loop's tag.
    @Test func twentyNestedLoopsAreRefusedAtTheDepthLimitQuickly() throws {
        let source = Self.nestedLoops(20)
        #expect((800...830).contains(source.utf8.count), "\(source.utf8.count) bytes")
        let started = Self.threadCPUTime()
        #expect(
            throws: TemplateError(
                "blocks nest deeper than templates.max_depth (16)", line: 17, column: 5, limit: "templates.max_depth")
        ) { try render(source) }
        #expect(Self.threadCPUTime() - started < .seconds(2))
        // Sixteen levels are allowed.
        #expect(try render(Self.nestedLoops(16, over: "one")) == "x")
        // `if` blocks count as levels too, mixed with loops.
        let mixed = "{% if true %}" + Self.nestedLoops(3) + "{% endif %}"
        #expect(throws: TemplateError.self) { try render(mixed, Self.limits(depth: 3)) }
        #expect(try render(mixed, Self.limits(depth: 4)) == "xxxxxxxx")
    }

    @Test func loopIterationsAreCountedAcrossAllLoops() throws {
        // 30 + 30 × 30 = 930 iterations in all: over 900, at the inner loop's tag (line 2).
        let source = Self.nestedLoops(2, over: "many")
        #expect(try render(source, Self.limits(iterations: 930)).count == 900)
        #expect(
            throws: TemplateError(
                "loops run more than templates.max_loop_iterations (900) times in all", line: 2, column: 5,
                limit: "templates.max_loop_iterations")
        ) { try render(source, Self.limits(iterations: 900)) }
        // Three levels of 30 (27,930 iterations) against the default 10,000.
        #expect(throws: TemplateError.self) { try render(Self.nestedLoops(3, over: "many")) }
    }

    @Test func outputBytesAreLimitedWhereTheyPassTheLimit() throws {
        let source = "head\n" + Self.nestedLoops(2, over: "many", inner: "{{ issue.title }} ")
        #expect(try render(source, Self.limits(bytes: 20_000)).utf8.count == 5 + 900 * 19)
        #expect(
            throws: TemplateError(
                "the output exceeds templates.max_output_bytes (10000 bytes)", line: 3, column: 24,
                limit: "templates.max_output_bytes")
        ) { try render(source, Self.limits(bytes: 10_000)) }
        // Literal text counts too.
        #expect(throws: TemplateError.self) {
            try render(String(repeating: "y", count: 2000), Self.limits(bytes: 1024))
        }
    }

    /// A filter may make a value far larger than its input (`replace`); it is refused before it is
    /// built, naming the filter, and other filters' results are measured as they are made.
    @Test func filterResultsCountAgainstTheOutputLimit() throws {
        let big = String(repeating: "b", count: 1000)
        let started = Self.threadCPUTime()
        #expect(
            throws: TemplateError(
                "the output exceeds templates.max_output_bytes (1048576 bytes)", line: 1, column: 11,
                limit: "templates.max_output_bytes")
        ) { try render("{{ long | replace: 'a', '\(big)' | size }}") }
        #expect(Self.threadCPUTime() - started < .seconds(2))
        #expect(try render("{{ long | replace: 'a', 'bb' | size }}") == "120000")
        // `escape` grows each `&` fivefold; its result is measured before the next filter runs.
        let amps: [String: JSONValue] = ["amps": .string(String(repeating: "&", count: 300))]
        let chain = "{{ amps" + String(repeating: " | escape", count: 4) + " }}"
        #expect(throws: TemplateError.self) {
            try Template(chain).render(amps, limits: Self.limits(bytes: 4096))
        }
    }

    @Test func renderTimeIsLimited() throws {
        let source = Self.nestedLoops(20)
        let limits = Self.limits(depth: 32, iterations: 10_000_000, bytes: 16_777_216, ms: 100)
        let started = Self.threadCPUTime()
        do {
            _ = try render(source, limits)
            Issue.record("a render of a million iterations finished within 100 ms")
        } catch {
            #expect(error.limit == "templates.max_render_ms" && error.line >= 1, "\(error)")
            #expect(error.message == "rendering takes longer than templates.max_render_ms (100 ms)")
        }
        #expect(Self.threadCPUTime() - started < .seconds(2))
    }

    /// The check a save runs renders within the limits it is given.
    @Test func theStoreCheckUsesTheLimits() throws {
        #expect(throws: TemplateError.self) {
            try TemplateStore.check(Self.nestedLoops(3), limits: Self.limits(depth: 2))
        }
        try TemplateStore.check(Self.nestedLoops(3), limits: Self.limits(depth: 3))
    }
}
