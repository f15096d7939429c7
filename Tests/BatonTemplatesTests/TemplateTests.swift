import BatonJSON
import Testing

@testable import BatonCore
@testable import BatonTemplates

@Suite struct TemplateTests {
    static let variables: [String: JSONValue] = [
        "issue": [
            "identifier": "ENG-7", "title": "Fix the login page", "description": "",
            "labels": ["bug", "frontend"], "priority": 2, "url": .null,
        ],
        "attempt": ["number": 2, "previous_error": "tests failed"],
    ]

    func render(_ source: String) throws -> String { try Template(source).render(Self.variables) }

    @Test func outputsFiltersAndFields() throws {
        #expect(try render("{{ issue.identifier }}: {{ issue.title | upcase }}") == "ENG-7: FIX THE LOGIN PAGE")
        #expect(try render("{{ issue.labels | join: \", \" }} ({{ issue.labels.size }})") == "bug, frontend (2)")
        #expect(
            try render("{{ issue.url | default: \"no link\" }}|{{ issue.description | default: 'none' }}")
                == "no link|none")
        #expect(try render("{{ issue.title | truncate: 9 }}") == "Fix th...")
        #expect(try render("{{ issue.title | replace: \"login\", \"sign-in\" | downcase }}") == "fix the sign-in page")
        #expect(try render("{{ issue.labels.first | capitalize | append: '!' | prepend: '>' }}") == ">Bug!")
        #expect(try render("{{ '<a & b>' | escape }}") == "&lt;a &amp; b&gt;")
        #expect(try render("{{ issue.priority }} {{ 1.5 }} {{ true }} {{ issue.url }}.") == "2 1.5 true .")
    }

    /// A number no Int holds as truncate's length: it cut nothing before, it cuts nothing now,
    /// instead of trapping in `Int(_:)` (which would end this test process and fail the suite).
    @Test func truncateTakesAnyNumberAsALength() throws {
        #expect(try render("{{ issue.title | truncate: 99999999999999999999 }}") == "Fix the login page")
        #expect(try render("{{ issue.title | truncate: -99999999999999999999 }}") == "...")
        #expect(try render("{{ issue.title | truncate: 9.9 }}") == "Fix th...")
    }

    @Test func branchesAndComparisons() throws {
        let source = """
            {% if attempt.number > 1 and issue.labels contains "bug" %}retry of a bug\
            {% elsif attempt.number == 1 %}first{% else %}other{% endif %}
            """
        #expect(try render(source) == "retry of a bug")
        #expect(try render("{% if issue.url %}link{% else %}no link{% endif %}") == "no link")
        // Liquid's truth: an empty string is true; only false and nil are not.
        #expect(try render("{% if issue.description %}yes{% endif %}") == "yes")
        #expect(try render("{% if issue.description != \"\" %}yes{% else %}empty{% endif %}") == "empty")
        #expect(try render("{% if issue.title contains 'login' or false %}y{% endif %}") == "y")
        #expect(try render("{% if 'b' > 'a' %}y{% endif %}{% if issue.priority <= 2 %}z{% endif %}") == "yz")
    }

    /// A chain of 10,900 `and`s (about all a 64 KiB body holds) parses and renders. Kept as a
    /// nested tree, a few thousand overflowed the stack (SIGSEGV, ending the process).
    @Test func aLongConditionChainRenders() throws {
        let source = "{% if " + Array(repeating: "1", count: 10_900).joined(separator: " and ") + " %}y{% endif %}"
        #expect(source.utf8.count < 65_536)
        #expect(try render(source) == "y")
        // Left to right, short-circuiting as before: ((true and false) or true) and 1 → true;
        // a missing variable after a false `and` is never read.
        #expect(try render("{% if true and false or true and 1 %}y{% else %}n{% endif %}") == "y")
        #expect(try render("{% if false and missing or false %}y{% else %}n{% endif %}") == "n")
        #expect(try render("{% if true or missing %}y{% endif %}") == "y")
        #expect(throws: TemplateError.self) { try render("{% if false or missing %}y{% endif %}") }
    }

    @Test func loopsWithForloopAndElse() throws {
        let source = "{% for label in issue.labels %}{{ forloop.index }}.{{ label }}{% unless %}{% endfor %}"
        #expect(throws: TemplateError("unknown tag \"unless\"", line: 1, column: 66)) { try render(source) }
        #expect(
            try render(
                "{% for label in issue.labels %}{{ forloop.index }}.{{ label }}{% if forloop.last %}!{% else %}, {% endif %}{% endfor %}"
            )
                == "1.bug, 2.frontend!")
        #expect(try render("{% for x in issue.url %}x{% else %}none{% endfor %}") == "none")
        // The loop variable is gone after the loop.
        #expect(throws: TemplateError("unknown variable \"label\"", line: 1, column: 47)) {
            try render("{% for label in issue.labels %}{% endfor %}{{ label }}")
        }
    }

    @Test func trimMarksAndComments() throws {
        let source = """
            Title:
              {%- if true -%}
                {{ issue.title }}
              {%- endif %}
            {% comment %}not {{ shown }}{% endcomment %}end
            """
        #expect(try render(source) == "Title:Fix the login page\nend")
    }

    /// Each mistake names its line and column (1-based, counting characters).
    @Test(arguments: [
        ("{{ issue.titel }}", "unknown variable \"issue.titel\"", 1, 10),
        ("ok\n  {{ isue.title }}", "unknown variable \"isue\"", 2, 6),
        ("{{ issue.title | shout }}", "unknown filter \"shout\"", 1, 18),
        ("{{ issue.title | replace: 'a' }}", "filter \"replace\" takes 2 arguments, not 1", 1, 18),
        ("{{ issue.title | upcase: 1 }}", "filter \"upcase\" takes 0 arguments, not 1", 1, 18),
        ("{% if true %}never closed", "\"{% if %}\" is not closed by \"{% endif %}\"", 1, 4),
        ("{% for x in issue.labels %}", "\"{% for %}\" is not closed by \"{% endfor %}\"", 1, 4),
        ("text {% endif %}", "\"{% endif %}\" without an open block", 1, 9),
        ("line\n{{ issue.title", "\"{{\" is not closed by \"}}\"", 2, 1),
        ("{% include 'x' %}", "unknown tag \"include\"", 1, 4),
        ("{{ 'open }}", "\"{{\" is not closed by \"}}\"", 1, 1),
        ("{{ }}", "an empty {{ }}", 1, 1),
        ("{% for x of issue.labels %}{% endfor %}", "a for loop reads \"{% for item in list %}\"", 1, 4),
        ("{% for x in issue.title %}{% endfor %}", "a for loop needs a list, not a string", 1, 13),
        (
            "{% if issue.labels > 1 %}{% endif %}",
            "\">\" compares two numbers or two strings, not an array and an integer", 1, 20
        ),
        (
            "{{ issue.labels.name }}", "\"issue.labels\" is a list: use .size, .first, .last or an index, not .name", 1,
            17
        ),
        ("{{ issue.title.x }}", "\"issue.title\" is a string and has no field \"x\"", 1, 16),
        ("{{ a = b }}", "unknown operator \"=\"", 1, 6),
        ("{{ issue.title # }}", "unexpected character \"#\"", 1, 16),
        ("{{ issue.title issue }}", "unexpected \"issue\"", 1, 16),
    ])
    func mistakesNameTheirPlace(source: String, message: String, line: Int, column: Int) {
        #expect(throws: TemplateError(message, line: line, column: column)) { try render(source) }
    }
}
