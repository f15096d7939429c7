import BatonJSON
import Testing

@testable import BatonCore

@Suite struct ConfigValidatorTests {
    @Test func reportsEveryProblemWithItsPointer() throws {
        let doc = try JSONParser.parse(
            #"{"server":{"port":"80","max_body_bytes":1},"agent":{"speed":3,"max_turns":2.5},"tracker":{"kind":"jira","active_states":[1]},"nope":{}}"#
        )
        let issues = ConfigValidator.validate(doc).map(\.description)
        #expect(issues.contains("/server/port: expected an integer, got string"))
        #expect(issues.contains("/server/max_body_bytes: must be at least 1024"))
        #expect(issues.contains("/agent/speed: unknown key"))
        #expect(issues.contains("/agent/max_turns: expected an integer, got number"))
        #expect(issues.contains(#"/tracker/kind: must be one of "local", "linear""#))
        #expect(issues.contains("/tracker/active_states/0: expected a string, got integer"))
        #expect(issues.contains("/nope: unknown key"))
        #expect(issues.count == 7)
    }

    @Test func mapsValidateTheirValues() throws {
        let good = try JSONParser.parse(
            #"{"providers":{"openai":{"kind":"openai","pricing":{"gpt":{"input_per_mtok":2.5}}}}}"#)
        #expect(ConfigValidator.validate(good).isEmpty)
        let bad = try JSONParser.parse(#"{"providers":{"x":{"kind":"grok","pricing":{"m":{"input_per_mtok":-1}}}}}"#)
        #expect(
            Set(ConfigValidator.validate(bad).map(\.pointer)) == [
                "/providers/x/kind", "/providers/x/pricing/m/input_per_mtok",
            ])
    }

    /// A key may start with a combining mark, which joins the pointer's "/" into one Character:
    /// the pointer is still "/" and the key's bytes (`hasPrefix("/")` says otherwise). Found by
    /// the `config` fuzz target, whose check compared Characters (fuzz/config.swift).
    @Test func aKeyStartingWithACombiningMarkGetsAPlainPointer() throws {
        let doc = try JSONParser.parse(Array(#"{"\#u{0652}st":1,"tracker":{"%api_key":"x"}}"#.utf8))
        let pointers = ConfigValidator.validate(doc).map(\.pointer)
        #expect(Set(pointers.map { Array($0.utf8) }) == [Array("/\u{0652}st".utf8), Array("/tracker/%api_key".utf8)])
        #expect(pointers.allSatisfy { $0.utf8.first == UInt8(ascii: "/") })
        #expect(ConfigValidator.validate(doc).allSatisfy { !$0.message.isEmpty })
    }

    @Test func pointersEscapeSlashAndTilde() throws {
        let doc = try JSONParser.parse(#"{"providers":{"a/b~c":{"kind":1}}}"#)
        #expect(ConfigValidator.validate(doc).first?.pointer == "/providers/a~1b~0c/kind")
    }

    @Test func credentialsMustBeSecretReferences() throws {
        let doc = try JSONParser.parse(
            #"{"tracker":{"api_key":"lin_api_RAW"},"providers":{"o":{"api_key":"$secret:openai"}}}"#)
        let issues = ConfigValidator.validate(doc)
        #expect(issues.map(\.pointer) == ["/tracker/api_key"])
        #expect(!issues[0].message.contains("lin_api_RAW"))
    }

    /// A CLI provider's env: variable names a shell accepts, values plain or $secret: references;
    /// its args and the agent settings are typed and ranged.
    @Test func agentProviderSettingsAreChecked() throws {
        let good = try JSONParser.parse(
            #"{"providers":{"cc":{"kind":"claude-code","env":{"ANTHROPIC_API_KEY":"$secret:anthropic","HOME":"/srv/cc"},"args":["--effort","high"],"permission_mode":"acceptEdits","allowed_tools":["Bash(npm test:*)"],"max_steps":40,"max_api_retries":3},"cx":{"kind":"codex","sandbox":"workspace-write","approval_policy":"on-request","approvals":"accept"}}}"#
        )
        #expect(ConfigValidator.validate(good).isEmpty, "\(ConfigValidator.validate(good))")
        let bad = try JSONParser.parse(
            #"{"providers":{"cc":{"kind":"claude-code","env":{"1X":"a","A-B":"b","OK":5,"K":"$secret:"},"args":"--x","permission_mode":"bypassPermissions","max_steps":0},"cx":{"kind":"codex","sandbox":"workspaceWrite","approval_policy":"on-failure"}}}"#
        )
        #expect(
            Set(ConfigValidator.validate(bad).map(\.pointer)) == [
                "/providers/cc/env/1X", "/providers/cc/env/A-B", "/providers/cc/env/OK", "/providers/cc/env/K",
                "/providers/cc/args", "/providers/cc/permission_mode", "/providers/cc/max_steps",
                "/providers/cx/sandbox", "/providers/cx/approval_policy",
            ], "\(ConfigValidator.validate(bad))")
    }

    /// `sandbox.*`: a known mode, path lists, ports in range.
    @Test func sandboxSettingsAreChecked() throws {
        let good = try JSONParser.parse(
            #"{"sandbox":{"mode":"required","read_paths":["/srv/git"],"write_paths":["/home/b/.codex"],"connect_ports":[443]}}"#
        )
        #expect(ConfigValidator.validate(good).isEmpty, "\(ConfigValidator.validate(good))")
        let bad = try JSONParser.parse(
            #"{"sandbox":{"mode":"strict","read_paths":"/srv","connect_ports":[0,70000,"443"],"user":"nobody"}}"#)
        #expect(
            Set(ConfigValidator.validate(bad).map(\.pointer)) == [
                "/sandbox/mode", "/sandbox/read_paths", "/sandbox/connect_ports/0", "/sandbox/connect_ports/1",
                "/sandbox/connect_ports/2", "/sandbox/user",
            ], "\(ConfigValidator.validate(bad))")
    }
}
