import BatonJSON
import Testing

@testable import BatonIssues

/// Activity contents in Linear's `AgentActivityCreateInput.content` shapes, and Baton's ids.
@Suite struct AgentActivityTests {
    @Test func contentsHaveLinearsShapesAndReadBack() {
        let cases: [(AgentActivityContent, JSONValue)] = [
            (.thought("Looking"), ["type": "thought", "body": "Looking"]),
            (.elicitation("Which?"), ["type": "elicitation", "body": "Which?"]),
            (.response("Done"), ["type": "response", "body": "Done"]),
            (.error("Failed"), ["type": "error", "body": "Failed"]),
            (
                .action(action: "Ran", parameter: "ls", result: nil),
                ["type": "action", "action": "Ran", "parameter": "ls"]
            ),
            (
                .action(action: "Ran", parameter: "ls", result: "a b"),
                ["type": "action", "action": "Ran", "parameter": "ls", "result": "a b"]
            ),
        ]
        for (content, json) in cases {
            #expect(content.json == json)
            #expect(AgentActivityContent(json: json) == content)
            #expect(content.type == json["type"]?.stringValue)
        }
        #expect(AgentActivityContent(json: ["type": "prompt", "body": "x"]) == nil)
        #expect(AgentActivityContent(json: ["type": "action", "action": "Ran"]) == nil)
        #expect(AgentActivityContent(json: ["type": "thought"]) == nil)
    }

    /// UUID v4, the format Linear's create inputs take for a client's id; never the same twice.
    @Test func idsAreVersionFourUUIDs() {
        let ids = (0..<200).map { _ in AgentActivityID.make() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let parts = id.split(separator: "-").map(String.init)
            #expect(parts.map(\.count) == [8, 4, 4, 4, 12])
            #expect(id.allSatisfy { $0 == "-" || $0.isHexDigit && !$0.isUppercase })
            #expect(parts[2].first == "4" && "89ab".contains(parts[3].first!))
        }
    }
}
