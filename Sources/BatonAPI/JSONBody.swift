import BatonHTTP
import BatonJSON
import BatonPlatform

/// Request bodies: JSON objects only, parsed strictly, with field-by-field checks that name what is
/// wrong. Unknown fields are refused so a typo never silently does nothing.
struct JSONBody {
    let fields: [String: JSONValue]

    /// The whole body as a JSON object, strictly parsed (bounded depth, no duplicate keys).
    static func document(_ request: HTTPRequest) throws -> JSONValue {
        let type = request.headers["Content-Type"]?.split(separator: ";").first.map {
            $0.trimmingSpaces.lowercased()
        }
        guard type == "application/json" else { throw HTTPError.unsupportedMediaType() }
        let value: JSONValue
        do {
            value = try JSONParser.parse(request.body)
        } catch {
            throw HTTPError.badRequest("the body is not valid JSON: \(error)")
        }
        guard case .object = value else { throw HTTPError.badRequest("the body must be a JSON object") }
        return value
    }

    init(_ request: HTTPRequest, allowed: Set<String>) throws {
        guard case .object(let fields) = try JSONBody.document(request) else {
            throw HTTPError.badRequest("the body must be a JSON object")
        }
        if let unknown = fields.keys.filter({ !allowed.contains($0) }).sorted().first {
            throw HTTPError.badRequest("unknown field \(JSONText.quote(unknown))")
        }
        self.fields = fields
    }

    func string(_ name: String, required: Bool = true) throws -> String? {
        guard let value = fields[name] else {
            if required { throw HTTPError.badRequest("missing field \(JSONText.quote(name))") }
            return nil
        }
        guard case .string(let text) = value else {
            throw HTTPError.badRequest("field \(JSONText.quote(name)) must be a string, not \(value.typeName)")
        }
        return text
    }
}

/// `limit` (default 50, at most 500) and `offset` (default 0) from the query.
struct Pagination {
    var limit: Int
    var offset: Int

    init(_ request: HTTPRequest) throws {
        limit = try Self.number(request, "limit", default: 50, range: 1...500)
        offset = try Self.number(request, "offset", default: 0, range: 0...Int(Int32.max))
    }

    private static func number(_ request: HTTPRequest, _ name: String, default value: Int, range: ClosedRange<Int>)
        throws
        -> Int
    {
        guard let text = request.queryValue(name) else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw HTTPError.badRequest("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }
}
