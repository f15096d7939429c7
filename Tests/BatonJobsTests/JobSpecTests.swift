import BatonJSON
import Testing

@testable import BatonCore
@testable import BatonJobs

@Suite struct JobSpecTests {
    func parse(_ json: String, max: Int = 1000) throws(JobInputError) -> JobSpec {
        let value = try! JSONParser.parse(Array(json.utf8))
        return try JobSpec.parse(value.objectValue!, defaultProvider: "dry-run", maxPromptBytes: max)
    }

    @Test func theReferenceBodyParses() throws {
        let spec = try parse(
            #"{"prompt":"Summarize this document","input":"...","provider":"claude","model":"haiku","priority":"normal","tier":"medium","tags":["summarize"]}"#
        )
        #expect(
            spec
                == JobSpec(
                    prompt: "Summarize this document", input: "...", provider: "claude", model: "haiku",
                    tags: ["summarize"]))
    }

    @Test func defaultsFillTheRest() throws {
        let spec = try parse(#"{"prompt":"hi"}"#)
        #expect(spec.provider == "dry-run" && spec.priority == .normal && spec.tier == .medium && spec.tags.isEmpty)
    }

    @Test(arguments: [
        (#"{}"#, "missing field \"prompt\""),
        (#"{"prompt":"  \n"}"#, "the prompt is empty"),
        (#"{"prompt":5}"#, "field \"prompt\" must be a string, not integer"),
        (#"{"prompt":"x","priority":"urgent"}"#, "priority must be one of low, normal, high"),
        (#"{"prompt":"x","tier":"huge"}"#, "tier must be one of low, medium, high"),
        (#"{"prompt":"x","tags":"a,b"}"#, "tags must be an array of strings"),
        (#"{"prompt":"x","tags":["a","a"]}"#, "tag \"a\" is repeated"),
        (
            #"{"prompt":"x","tags":["has space"]}"#,
            "tag \"has space\" must be 1 to 64 letters, digits, '.', '_', '-' or ':'"
        ),
        (#"{"prompt":"x","provider":"../etc"}"#, "provider must be 1 to 64 letters, digits, '.', '_' or '-'"),
        (#"{"prompt":"x","colour":"red"}"#, "unknown field \"colour\""),
    ])
    func badBodiesSayWhatIsWrong(body: String, message: String) {
        #expect(throws: JobInputError(message)) { try parse(body) }
    }

    @Test func promptAndInputAreBoundedTogether() {
        #expect(throws: JobInputError("prompt and input are 12 bytes; the limit is 10 (jobs.max_prompt_bytes)")) {
            try parse(#"{"prompt":"123456","input":"789012"}"#, max: 10)
        }
    }

    /// What the OpenAPI document states: a prompt is blank when every code point is white space
    /// (NEL and the ideographic space too); a model is 1 to 200 code points on one line.
    @Test func blankPromptsAndModelsAsTheDocumentStatesThem() throws {
        for blank in ["\n", "\u{85}", "\u{3000}", "\t\u{2028} ", "\r\n"] {
            let body: JSONValue = ["prompt": .string(blank)]
            #expect(throws: JobInputError("the prompt is empty")) {
                try JobSpec.parse(body.objectValue!, defaultProvider: "dry-run", maxPromptBytes: 1000)
            }
        }
        // A combining mark is not white space, even after a space.
        #expect(try parse(#"{"prompt":" \u0301"}"#).prompt == " \u{301}")
        let oneLine = "model must be 1 to 200 characters on one line"
        #expect(throws: JobInputError(oneLine)) { try parse(#"{"prompt":"x","model":"a\u0085b"}"#) }
        #expect(throws: JobInputError(oneLine)) { try parse(#"{"prompt":"x","model":"a\u2029"}"#) }
        let wide = String(repeating: "é", count: 200)
        #expect(try parse("{\"prompt\":\"x\",\"model\":\"\(wide)\"}").model == wide)
        #expect(throws: JobInputError(oneLine)) { try parse("{\"prompt\":\"x\",\"model\":\"\(wide)é\"}") }
    }

    @Test func tooManyTags() {
        let tags = (0...32).map { "\"t\($0)\"" }.joined(separator: ",")
        #expect(throws: JobInputError("at most 32 tags are allowed")) {
            try parse("{\"prompt\":\"x\",\"tags\":[\(tags)]}")
        }
    }
}
