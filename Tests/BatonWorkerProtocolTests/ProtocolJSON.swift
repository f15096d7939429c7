import BatonJSON

/// `text` parsed as JSON (the tests' literals are valid).
func json(_ text: String) -> JSONValue { try! JSONParser.parse(text) }
