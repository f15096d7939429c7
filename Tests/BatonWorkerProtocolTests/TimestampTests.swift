import BatonWorkerProtocol
import Testing

@Suite struct TimestampParseTests {
    @Test func parsesWhatItFormats() {
        for ms: Int64 in [
            0, 1, 999, 1_764_626_969_085, 1_709_251_199_999, 1_709_251_200_000, 951_782_400_000, 253_402_300_799_999,
            -62_167_219_200_000,
        ] {
            let text = Timestamp.format(milliseconds: ms)
            #expect(Timestamp.parse(text) == ms, "\(text)")
        }
        #expect(Timestamp.parse("2025-12-01T22:09:29.085Z") == 1_764_626_969_085)
        #expect(Timestamp.parse("1969-12-31T23:59:59.999Z") == -1)
        #expect(Timestamp.parse("2000-02-29T00:00:00.000Z") == 951_782_400_000)
    }

    @Test(arguments: [
        "", "2025-12-01T22:09:29Z", "2025-12-01T22:09:29.085", "2025-12-01 22:09:29.085Z", "2025-12-01T22:09:29.085z",
        "2025-12-01T22:09:29.085+00:00", "2025-13-01T22:09:29.085Z", "2025-00-01T22:09:29.085Z",
        "2025-02-29T22:09:29.085Z", "1900-02-29T00:00:00.000Z", "2025-04-31T00:00:00.000Z", "2025-12-00T00:00:00.000Z",
        "2025-12-01T24:00:00.000Z", "2025-12-01T23:60:00.000Z", "2025-12-01T23:59:60.000Z", "+025-12-01T22:09:29.085Z",
        "2025-12-01T22:09:29.08aZ", "２025-12-01T22:09:29.085Z", "2025-12-01T22:09:29.0850Z",
    ])
    func refusesAnythingElse(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    /// The worker's old hand-written formatter (`WorkerLoop.isoTime`) gave the same text.
    @Test func formatsLikeTheWorkerDid() {
        #expect(Timestamp.format(milliseconds: 1_764_626_969_085) == "2025-12-01T22:09:29.085Z")
        #expect(Timestamp.format(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
    }
}

@Suite struct ProviderKindTests {
    @Test func theKindsAndTheirNames() {
        #expect(
            ProviderKind.allCases.map(\.rawValue) == [
                "dry-run", "command", "codex", "claude-code", "openai", "ollama", "anthropic",
            ])
        #expect(ProviderKind.allCases.filter(\.isHTTP) == [.openai, .ollama, .anthropic])
    }

    /// A provider's kind is its `kind`, else its name.
    @Test func aProvidersKind() {
        #expect(ProviderKind(provider: "fast", entry: ["kind": "claude-code"]) == .claudeCode)
        #expect(ProviderKind(provider: "codex", entry: [:]) == .codex)
        #expect(ProviderKind(provider: "codex", entry: nil) == .codex)
        #expect(ProviderKind(provider: "mine", entry: ["command": "x"]) == nil)
        #expect(ProviderKind(provider: "x", entry: ["kind": "gemini"]) == nil)
    }
}
