import BatonJSON
import BatonPlatform
import Testing

@testable import BatonCore

@Suite struct ConfigSchemaTests {
    @Test func defaultsMatchTheDesign() {
        let d = ConfigSchema.defaults
        #expect(d.value(at: ["server", "host"]) == "127.0.0.1")
        #expect(d.value(at: ["server", "port"]) == 4000)
        #expect(d.value(at: ["server", "max_body_bytes"]) == 1_048_576)
        #expect(d.value(at: ["server", "max_header_bytes"]) == 16384)
        #expect(d.value(at: ["server", "public_metrics"]) == false)
        // One event loop per CPU this process may use (SPEC §2.1), within the key's 1–256.
        #expect(d.value(at: ["server", "event_loops"]) == .int(Int64(min(Processors.usable, 256))))
        #expect(d.value(at: ["storage", "data_dir"]) == ".baton")
        #expect(
            d.value(at: ["server", "rate_limits"]) == ["read": 1200, "write": 300, "webhook": 600, "anonymous": 60])
        #expect(d.value(at: ["audit", "refused_interval_s"]) == 60)
        #expect(d.value(at: ["tracker", "kind"]) == "local")
        #expect(d.value(at: ["tracker", "api_key"]) == "$secret:linear_api_key")
        #expect(d.value(at: ["tracker", "active_states"]) == ["Todo", "In Progress"])
        #expect(
            d.value(at: ["tracker", "terminal_states"]) == ["Done", "Closed", "Canceled", "Cancelled", "Duplicate"])
        #expect(d.value(at: ["webhooks", "linear", "steer_prefix"]) == "/baton")
        #expect(d.value(at: ["agent", "provider"]) == "dry-run")
        #expect(d.value(at: ["agent", "max_retry_backoff_ms"]) == 300_000)
        #expect(d.value(at: ["workspaces", "root"]) == ".baton-workspaces")
        #expect(d.value(at: ["router", "weights", "headroom"]) == 35)
        #expect(d.value(at: ["router", "weights", "stickiness"]) == 5)
        #expect(d.value(at: ["budget", "on_exceed_level"]) == 2)
        #expect(d.value(at: ["jobs", "max_prompt_bytes"]) == 262_144)
        #expect(d.value(at: ["local_workers", "tags"]) == "local")
        #expect(d.value(at: ["agent", "model"]) == nil)
        #expect(
            d.value(at: ["templates"])
                == [
                    "max_depth": 16, "max_loop_iterations": 10_000, "max_output_bytes": 1_048_576,
                    "max_render_ms": 1000,
                ])
        #expect(ConfigValidator.validate(d).isEmpty)
    }

    @Test func everySectionAndKeyIsDescribed() {
        let sections = [
            "server", "storage", "tracker", "webhooks", "agent", "providers", "workspaces", "git", "jobs", "router",
            "budget",
            "local_workers", "sandbox", "templates", "audit", "retention", "dashboard",
        ]
        #expect(Set(ConfigSchema.schema["properties"]?.objectValue?.keys.map { $0 } ?? []) == Set(sections))
        func check(_ schema: JSONValue, _ path: String) {
            #expect(schema["description"]?.stringValue?.isEmpty == false, "\(path) has no description")
            for (name, child) in schema["properties"]?.objectValue ?? [:] { check(child, path + "." + name) }
        }
        for section in sections { check(ConfigSchema.schema["properties"]![section]!, section) }
    }
}
