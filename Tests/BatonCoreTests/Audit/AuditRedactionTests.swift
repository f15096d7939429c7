import BatonJSON
import Testing

@testable import BatonCore

@Suite struct AuditRedactionTests {
    @Test func redactsSecretFieldsAtAnyDepthAndKeepsReferences() throws {
        let input = try JSONParser.parse(
            #"{"value":"s3cret","name":"x","providers":{"openai":{"api_key":"sk-1","base_url":"u","api_key_ref":"$secret:openai"}},"list":[{"token":"t"},{"Password":"p"}],"tracker":{"api_key":"$secret:linear_api_key"},"keep":"value"}"#
        )
        let out = AuditRedaction.redact(input)
        #expect(out["value"] == "[REDACTED]")
        #expect(out["name"] == "x")
        #expect(out["providers"]?["openai"]?["api_key"] == "[REDACTED]")
        #expect(out["providers"]?["openai"]?["base_url"] == "u")
        #expect(out["providers"]?["openai"]?["api_key_ref"] == "$secret:openai")
        #expect(out["list"] == [["token": "[REDACTED]"], ["Password": "[REDACTED]"]])
        #expect(out["tracker"]?["api_key"] == "$secret:linear_api_key")
        #expect(out["keep"] == "value")
        #expect(!out.text.contains("s3cret") && !out.text.contains("sk-1"))
    }

    @Test func bodiesThatAreNotSmallJSONAreRecordedBySizeOnly() {
        #expect(AuditRedaction.diff(forBody: []) == [:])
        #expect(AuditRedaction.diff(forBody: Array("not json".utf8)) == ["body_bytes": 8])
        let big = Array(("{\"a\":\"" + String(repeating: "x", count: 20_000) + "\"}").utf8)
        #expect(AuditRedaction.diff(forBody: big) == ["body_bytes": .int(Int64(big.count))])
        #expect(AuditRedaction.diff(forBody: Array(#"{"secret":"x"}"#.utf8)) == ["body": ["secret": "[REDACTED]"]])
    }
}
