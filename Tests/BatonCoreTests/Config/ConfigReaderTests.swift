import BatonJSON
import Testing

@testable import BatonCore

/// Settings read the effective configuration with the schema's defaults behind it.
@Suite struct ConfigReaderTests {
    @Test func aConfiguredValueWins() {
        let config = ConfigReader([
            "agent": ["max_attempts": 4, "provider": "codex"], "tracker": ["write_back": false],
        ])
        #expect(config.int("agent.max_attempts") == 4)
        #expect(config.string("agent.provider") == "codex")
        #expect(config.bool("tracker.write_back") == false)
    }

    /// Missing, or of the wrong type (a partial object in a test, a hand-edited file the
    /// validator would refuse): the schema's default, the same one `ConfigSchema.defaults` holds.
    @Test func aMissingOrMistypedValueReadsAsTheSchemaDefault() {
        let config = ConfigReader(["agent": ["max_attempts": "many"], "router": [:]])
        #expect(config.int("agent.max_attempts") == ConfigSchema.defaults["agent"]?["max_attempts"]?.intValue)
        #expect(config.int("router.lease_s") == 30)
        #expect(config.double("router.weights.headroom") == 35)
        #expect(config.strings("tracker.active_states") == ["Todo", "In Progress"])
        #expect(config.string("storage.data_dir") == ".baton")
    }

    @Test func keysWithoutADefaultAreOptional() {
        #expect(ConfigReader([:]).optionalString("agent.model") == nil)
        #expect(ConfigReader([:]).optionalDouble("budget.daily_limit_usd") == nil)
        #expect(ConfigReader(["budget": ["daily_limit_usd": 2.5]]).optionalDouble("budget.daily_limit_usd") == 2.5)
        #expect(ConfigReader(["agent": ["model": "gpt-5.5"]]).optionalString("agent.model") == "gpt-5.5")
    }
}
