#if canImport(Glibc)
    import Glibc
#endif

/// The real agent CLIs that `scripts/install-deps.sh --test` installs (pinned) under
/// `.build/agents/`, and the isolated homes they run with: each test gets its own config
/// directory, so nothing is read from or written to the machine's own.
public enum RealAgents {
    /// The checkout's root, from this file's path.
    static let root: String = {
        var path = #filePath
        for _ in 0..<3 {
            while let last = path.last, last != "/" { path.removeLast() }
            path.removeLast()
        }
        return path
    }()

    public static var codex: String { root + "/.build/agents/codex" }
    public static var claude: String { root + "/.build/agents/claude" }

    /// Both CLIs are installed and run; a test fails (not skips) when they are not, since
    /// `make test` installs them.
    public static func missing() -> String? {
        for path in [codex, claude] where access(path, X_OK) != 0 {
            return "\(path) is missing: run scripts/install-deps.sh --test"
        }
        return nil
    }

    /// A fresh home for one agent run; the caller removes it.
    public static func home() -> TemporaryDirectory { TemporaryDirectory(prefix: "baton-agent-home") }

    /// A `CODEX_HOME` whose config.toml sends codex to `baseURL` (a FakeModelAPI playing the
    /// Responses API), with the key in `FAKE_OPENAI_API_KEY`, no retries (a test decides what
    /// a retry looks like) and nothing else on the network. The caller removes it.
    public static func codexHome(baseURL: String, streamRetries: Int = 0) -> TemporaryDirectory {
        let directory = home()
        let config = """
            model = "gpt-5.5"
            model_provider = "fake"
            check_for_update_on_startup = false

            [model_providers.fake]
            name = "Fake Responses"
            base_url = "\(baseURL)/v1"
            wire_api = "responses"
            env_key = "FAKE_OPENAI_API_KEY"
            request_max_retries = 0
            stream_max_retries = \(streamRetries)
            stream_idle_timeout_ms = 15000

            [analytics]
            enabled = false

            [otel]
            exporter = "none"

            """
        writeFile(directory.path + "/config.toml", config)
        return directory
    }

    /// Claude Code's environment for `baseURL` (a FakeModelAPI playing the Messages API): `home`
    /// (from `home()`, which the caller removes) as its HOME and config directory, and no traffic
    /// but the model's.
    public static func claudeEnvironment(
        home: TemporaryDirectory, baseURL: String, keyReference: String = "$secret:anthropic_key"
    ) -> [String: String] {
        let home = home.path
        return [
            "HOME": home, "CLAUDE_CONFIG_DIR": home + "/.claude", "ANTHROPIC_BASE_URL": baseURL,
            "ANTHROPIC_API_KEY": keyReference, "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_TELEMETRY": "1", "DISABLE_ERROR_REPORTING": "1",
        ]
    }

    public static func writeFile(_ path: String, _ text: String) {
        guard let file = fopen(path, "w") else { fatalError("cannot write \(path)") }
        fputs(text, file)
        fclose(file)
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
