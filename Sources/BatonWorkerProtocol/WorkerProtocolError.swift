import BatonJSON

/// Why a worker-protocol message was refused: one sentence a client can act on, and the field
/// it is about. The coordinator answers a refused request body with 400 and the sentence (SPEC
/// §2.3); the worker refuses an answer it does not understand rather than guess at it.
public struct WorkerProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field the sentence is about, as a path into the message (`capacity`, `tokens.input`,
    /// `models[2].score`, `job.context.git_url`); empty for the message as a whole.
    public var field: String
    public var message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { message }
}

/// Reads the fields of one JSON object of a message, naming each field in its errors. `path` is
/// where the object sits in the message (empty for the message itself).
struct FieldReader {
    let fields: [String: JSONValue]
    let path: String

    /// `allowed`: the field names a request may carry (an unknown one is refused, SPEC §2.2);
    /// nil for an answer, whose newer fields an older worker ignores.
    init(_ value: JSONValue, path: String = "", allowed: Set<String>? = nil) throws(WorkerProtocolError) {
        guard case .object(let fields) = value else {
            throw WorkerProtocolError(
                field: path,
                path.isEmpty ? "the body must be a JSON object" : "\(path) must be a JSON object, not \(value.typeName)"
            )
        }
        self.fields = fields
        self.path = path
        if let allowed, let unknown = fields.keys.filter({ !allowed.contains($0) }).sorted().first {
            throw WorkerProtocolError(field: at(unknown), "unknown field \(JSONText.quote(unknown))")
        }
    }

    /// The path of one of this object's fields.
    func at(_ name: String) -> String { path.isEmpty ? name : path + "." + name }

    /// The field's value when present and not null.
    func value(_ name: String) -> JSONValue? {
        guard let value = fields[name], value != .null else { return nil }
        return value
    }

    func missing(_ name: String) -> WorkerProtocolError {
        WorkerProtocolError(field: at(name), "missing field \(JSONText.quote(at(name)))")
    }

    func error(_ name: String, _ message: String) -> WorkerProtocolError {
        WorkerProtocolError(field: at(name), message)
    }

    func wrongType(_ name: String, _ type: String, _ value: JSONValue) -> WorkerProtocolError {
        WorkerProtocolError(field: at(name), "field \(JSONText.quote(at(name))) must be \(type), not \(value.typeName)")
    }

    /// A string; nil when absent, or when null and `nullable` (else a null is a wrong type).
    func string(_ name: String, nullable: Bool = true) throws(WorkerProtocolError) -> String? {
        guard let value = fields[name] else { return nil }
        if value == .null && nullable { return nil }
        guard case .string(let text) = value else { throw wrongType(name, "a string", value) }
        return text
    }

    func requiredString(_ name: String, nullable: Bool = true) throws(WorkerProtocolError) -> String {
        guard let text = try string(name, nullable: nullable) else { throw missing(name) }
        return text
    }

    func bool(_ name: String) throws(WorkerProtocolError) -> Bool {
        guard let value = fields[name] else { throw missing(name) }
        guard case .bool(let flag) = value else { throw wrongType(name, "true or false", value) }
        return flag
    }

    /// A whole number in `range` (an integral JSON number, checked before any conversion); nil
    /// when absent or null. `message` says what is wrong otherwise.
    func integer(_ name: String, in range: ClosedRange<Int64>, _ message: @autoclosure () -> String)
        throws(WorkerProtocolError) -> Int64?
    {
        guard let value = value(name) else { return nil }
        guard let n = value.intValue, range.contains(n) else { throw error(name, message()) }
        return n
    }

    /// As `integer`, as an `Int` (converted with `Int(exactly:)`, never trapping).
    func int(_ name: String, in range: ClosedRange<Int>, _ message: @autoclosure () -> String)
        throws(WorkerProtocolError) -> Int?
    {
        guard let value = value(name) else { return nil }
        guard let n = value.intValue.flatMap({ Int(exactly: $0) }), range.contains(n) else {
            throw error(name, message())
        }
        return n
    }
}
