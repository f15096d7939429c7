import BatonJSON
import Testing

@testable import BatonCore

@Suite struct ConfigEnvironmentTests {
    @Test func coercesBySchemaType() throws {
        let layer = try ConfigEnvironment.layer(from: [
            "BATON_SERVER__PORT": "4100", "BATON_SERVER__PUBLIC_METRICS": "true",
            "BATON_ROUTER__WEIGHTS__HEADROOM": "40",
            "BATON_TRACKER__ACTIVE_STATES": #"["Todo"]"#, "BATON_BUDGET__DAILY_LIMIT_USD": "12.5",
            "BATON_AGENT__MODEL": "o4-mini",
            "BATON_MASTER_KEY": "not config", "PATH": "/bin",
        ])
        #expect(
            layer == [
                "server": ["port": 4100, "public_metrics": true], "router": ["weights": ["headroom": 40]],
                "tracker": ["active_states": ["Todo"]], "budget": ["daily_limit_usd": 12.5],
                "agent": ["model": "o4-mini"],
            ])
    }

    @Test(arguments: [
        ("BATON_SERVER__PORT", "http", "expected an integer"),
        ("BATON_SERVER__PUBLIC_METRICS", "maybe", "expected true or false"),
        ("BATON_SERVER__NOPE", "1", "names no configuration key"),
        ("BATON_SERVER__", "1", "names no configuration key"),
        ("BATON_TRACKER__ACTIVE_STATES", "Todo", "expected a JSON array"),
        ("BATON_BUDGET__DAILY_LIMIT_USD", "nan", "expected a number"),
    ])
    func refusesBadValues(name: String, value: String, reason: String) {
        do {
            _ = try ConfigEnvironment.layer(from: [name: value])
            Issue.record("accepted \(name)=\(value)")
        } catch {
            #expect(error.reason.contains(reason), "\(error)")
        }
    }
}
