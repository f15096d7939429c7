import BatonJSON
import Synchronization

/// The layered configuration: schema defaults < file < environment < overlay. The overlay is the
/// only layer that changes at run time; it lives in `<data_dir>/overlay.json`, written atomically,
/// and every change is validated whole first — an invalid one changes nothing.
public final class ConfigStore: Sendable {
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var issues: [ConfigIssue]
        public var description: String { issues.map(\.description).joined(separator: "; ") }
    }

    public enum PathError: Error, Sendable, Equatable {
        case malformed(String)
        case absent(String)
    }

    private struct State {
        var overlay: JSONValue
        var effective: JSONValue
        var listeners: [@Sendable (JSONValue) -> Void] = []
    }

    private let base: JSONValue
    private let file: JSONValue
    private let environment: JSONValue
    private let overlayPath: String
    private let state: Mutex<State>

    /// `file` and `environment` are already-parsed layers; the overlay is read from `overlayPath`.
    public init(file: JSONValue = [:], environment: JSONValue = [:], overlayPath: String) throws {
        for (name, layer) in [("configuration file", file), ("environment", environment)] {
            let issues = ConfigValidator.validate(layer)
            guard issues.isEmpty else {
                throw Invalid(
                    issues: issues.map { ConfigIssue(pointer: $0.pointer, message: "\($0.message) (\(name))") })
            }
        }
        base = ConfigSchema.defaults.merged(with: file).merged(with: environment)
        self.file = file
        self.environment = environment
        self.overlayPath = overlayPath
        var overlay: JSONValue = [:]
        if let bytes = try KeyFile.read(overlayPath) {
            overlay = try JSONParser.parse(bytes)
            let issues = ConfigValidator.validate(overlay)
            guard issues.isEmpty else { throw Invalid(issues: issues) }
        }
        state = Mutex(State(overlay: overlay, effective: base.merged(with: overlay)))
    }

    public var effective: JSONValue { state.withLock { $0.effective } }

    /// Which layer a value comes from (SPEC §4.1).
    public enum Source: String, Sendable {
        case `default`, file, environment, overlay
    }

    /// The layer every value of the effective configuration comes from, by dotted path; objects
    /// are walked into, anything else (arrays too) is one value.
    public func sources() -> [String: Source] {
        let (effective, overlay) = state.withLock { ($0.effective, $0.overlay) }
        var out: [String: Source] = [:]
        func walk(_ value: JSONValue, _ path: [String]) {
            if case .object(let fields) = value, !fields.isEmpty {
                for (name, child) in fields { walk(child, path + [name]) }
                return
            }
            guard !path.isEmpty else { return }
            let source: Source =
                if overlay.value(at: path) != nil {
                    .overlay
                } else if environment.value(at: path) != nil {
                    .environment
                } else if file.value(at: path) != nil {
                    .file
                } else {
                    .default
                }
            out[path.joined(separator: ".")] = source
        }
        walk(effective, [])
        return out
    }
    public var overlay: JSONValue { state.withLock { $0.overlay } }

    /// The effective configuration now, read with the schema's defaults behind it.
    public var reader: ConfigReader { ConfigReader(effective) }

    public func value(_ dotted: String) -> JSONValue? {
        effective.value(at: dotted.split(separator: ".").map(String.init))
    }

    /// Called with the new effective config after every change (on the changing thread).
    public func onChange(_ listener: @escaping @Sendable (JSONValue) -> Void) {
        state.withLock { $0.listeners.append(listener) }
    }

    /// Replaces the whole overlay; returns the leaf paths that differ from the old overlay.
    @discardableResult
    public func replaceOverlay(_ overlay: JSONValue) throws -> [String] {
        guard case .object = overlay else {
            throw Invalid(issues: [ConfigIssue(pointer: "", message: "the overlay must be a JSON object")])
        }
        var issues = ConfigValidator.validate(overlay)
        // The overlay alone can be valid while the merged result is not (a type clash with the file).
        if issues.isEmpty { issues = ConfigValidator.validate(base.merged(with: overlay)) }
        guard issues.isEmpty else { throw Invalid(issues: issues) }
        return try commit(overlay)
    }

    /// Removes one dotted path from the overlay (pruning parents left empty).
    @discardableResult
    public func deleteOverlay(path dotted: String) throws -> [String] {
        let path = try Self.parse(dotted)
        var overlay = self.overlay
        guard Self.remove(path[...], from: &overlay) else { throw PathError.absent(dotted) }
        return try commit(overlay)
    }

    private func commit(_ overlay: JSONValue) throws -> [String] {
        let old = self.overlay
        try KeyFile.write(overlayPath, Array((overlay.prettyText + "\n").utf8))
        let (effective, listeners) = state.withLock { state in
            state.overlay = overlay
            state.effective = base.merged(with: overlay)
            return (state.effective, state.listeners)
        }
        for listener in listeners { listener(effective) }
        return Array(Set(old.leafPaths).symmetricDifference(overlay.leafPaths).union(changedLeaves(old, overlay)))
            .sorted()
    }

    private func changedLeaves(_ a: JSONValue, _ b: JSONValue) -> Set<String> {
        Set(
            a.leafPaths.filter { path in
                let p = path.split(separator: ".").map(String.init)
                return a.value(at: p) != b.value(at: p)
            })
    }

    /// `a.b.c` → ["a","b","c"]; refuses empty segments and names that are not plain keys.
    public static func parse(_ dotted: String) throws(PathError) -> [String] {
        let segments = dotted.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !dotted.isEmpty, dotted.utf8.count <= 512,
            segments.allSatisfy({ s in
                !s.isEmpty && !s.hasPrefix("__")
                    && s.utf8.allSatisfy { c in
                        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c == 45
                    }
            })
        else { throw .malformed(dotted) }
        return segments
    }

    private static func remove(_ path: ArraySlice<String>, from value: inout JSONValue) -> Bool {
        guard case .object(var fields) = value, let first = path.first, var child = fields[first] else { return false }
        if path.count == 1 {
            fields.removeValue(forKey: first)
        } else {
            guard remove(path.dropFirst(), from: &child) else { return false }
            if case .object(let inner) = child, inner.isEmpty {
                fields.removeValue(forKey: first)
            } else {
                fields[first] = child
            }
        }
        value = .object(fields)
        return true
    }
}
