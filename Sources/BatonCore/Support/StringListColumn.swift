import BatonJSON

/// A list of strings kept in one text column as a JSON array (labels, tags, providers): one codec
/// for every table that stores one.
public enum StringListColumn {
    public static func encode(_ items: [String]) -> String { JSONValue.array(items.map(JSONValue.string)).text }

    /// The strings of a stored array; empty for NULL or text that is not an array, and non-string
    /// items are skipped (a hand-edited row must not fail a whole read).
    public static func decode(_ text: String?) -> [String] {
        guard let text, let value = try? JSONParser.parse(Array(text.utf8)), let items = value.arrayValue else {
            return []
        }
        return items.compactMap(\.stringValue)
    }
}
