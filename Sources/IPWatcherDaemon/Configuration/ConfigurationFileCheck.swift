import Configuration
import Yams

/// A second, independent reading of the YAML file that knows the schema: swift-configuration's YAML provider
/// answers lookups but cannot list the keys a file sets, so a misspelt key would otherwise be ignored silently.
///
/// Besides unknown keys it rejects shapes the provider would turn into silent defaults or odd strings: a list or
/// mapping where one value belongs, and YAML nulls (`~`, `null`), which the provider reads as the text "~".
struct ConfigurationFileCheck {
    /// The dotted keys the file sets.
    private(set) var keys: Set<String> = []
    /// The text of every single-value key the file sets; used to tell whether the file itself holds a password.
    private(set) var values: [String: String] = [:]
    /// The entries of every list key the file sets as a YAML sequence; `detection.rules` entries written as
    /// mappings are turned into their one-line text (``IPWatcherConfiguration/Rule/text``).
    private(set) var lists: [String: [String]] = [:]
    /// The file's path, for locations in errors.
    private let path: String

    /// The file's values as a provider for the layered reader, below the environment and the overrides.
    ///
    /// Built from this reading rather than by swift-configuration's YAML provider, which refuses a whole file
    /// when a list holds mappings, as `detection.rules` does. Values are text, as the reader reads every key.
    var provider: InMemoryProvider {
        var contents: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in values {
            let isSecret = IPWatcherConfiguration.schemaByName[key]?.isSecret ?? false
            contents[AbsoluteConfigKey(ConfigKey(key))] = ConfigValue(.string(value), isSecret: isSecret)
        }
        for (key, entries) in lists {
            contents[AbsoluteConfigKey(ConfigKey(key))] = ConfigValue(.stringArray(entries), isSecret: false)
        }
        return InMemoryProvider(name: "config file \(path)", values: contents)
    }

    /// Checks `text`, the contents of the file at `path` (named in errors).
    init(text: String, path: String) throws(ConfigurationError) {
        self.path = path
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            let file = ConfigurationError.quoted(path)
            throw ConfigurationError(
                key: "", message: "config file \(file) is not valid YAML: \(Self.summary(of: error))")
        }
        // An empty file, or one with only comments, sets nothing; that is allowed.
        guard let root else { return }
        guard root.mapping != nil else {
            let file = ConfigurationError.quoted(path)
            throw ConfigurationError(
                key: "", message: "config file \(file) must be a mapping of sections (redis:, …)")
        }
        try visit(root, path: [], location: position(of: root.mark))
    }

    /// Checks `node`, found at the dotted `path`, and records the keys it sets.
    private mutating func visit(_ node: Node, path: [String], location: String) throws(ConfigurationError) {
        let key = path.joined(separator: ".")
        if let spec = IPWatcherConfiguration.schemaByName[key] {
            try visitValue(node, spec: spec, location: location)
        } else if path.isEmpty || IPWatcherConfiguration.sectionNames.contains(key) {
            try visitSection(node, path: path, location: location)
        } else {
            throw ConfigurationError.unknownKey(
                key, source: location, suggestion: IPWatcherConfiguration.suggestion(forUnknownKey: key))
        }
    }

    /// Checks the mapping under a section and every key in it.
    private mutating func visitSection(_ node: Node, path: [String], location: String) throws(ConfigurationError) {
        let key = path.joined(separator: ".")
        switch node {
        case .mapping(let mapping):
            for (childKey, child) in mapping {
                let childLocation = position(of: childKey.mark)
                guard case .scalar(let name) = childKey, !name.string.isEmpty else {
                    throw ConfigurationError(key: key, message: "keys must be plain names (in \(childLocation))")
                }
                try visit(child, path: path + [name.string], location: childLocation)
            }
        case .scalar where Self.isNull(node):
            // `redis:` with nothing under it, as when every key of a section is commented out.
            break
        default:
            throw ConfigurationError(key: key, message: "is a section and needs keys under it (in \(location))")
        }
    }

    /// Checks the value of a key against the shape the schema gives it.
    private mutating func visitValue(
        _ node: Node, spec: IPWatcherConfiguration.KeySpec, location: String
    ) throws(ConfigurationError) {
        let key = spec.name
        guard keys.insert(key).inserted else {
            throw ConfigurationError(key: key, message: "is set twice (again in \(location))")
        }
        switch node {
        case .scalar(let scalar):
            try Self.rejectNull(node, key: key, location: location)
            values[key] = scalar.string
        case .sequence(let sequence) where spec.kind == .list:
            var entries: [String] = []
            for (index, element) in sequence.enumerated() {
                if case .mapping(let mapping) = element, spec.kind == .list, key == "detection.rules" {
                    entries.append(try ruleText(mapping, entry: index + 1, location: position(of: element.mark)))
                    continue
                }
                guard case .scalar(let scalar) = element else {
                    throw ConfigurationError(
                        key: key, message: "entry \(index + 1) is not a single value (in \(location))")
                }
                try Self.rejectNull(element, key: key, location: location)
                entries.append(scalar.string)
            }
            lists[key] = entries
        case .sequence:
            throw ConfigurationError(key: key, message: "needs a single value, not a list (in \(location))")
        case .mapping:
            throw ConfigurationError(key: key, message: "needs a value, not a section (in \(location))")
        case .alias:
            // Yams resolves aliases while composing; an alias node here would be a Yams change.
            throw ConfigurationError(key: key, message: "an alias is not supported here (in \(location))")
        }
    }

    /// The one-line text of a rule written as a mapping, after checking its fields: each known, given once, a
    /// single value without the separators of the text form.
    private func ruleText(_ mapping: Node.Mapping, entry: Int, location: String) throws(ConfigurationError) -> String {
        let key = "detection.rules"
        let known = ["name", "threshold", "window", "mode", "dry_run", "ban_seconds"]
        var fields: [String: String] = [:]
        for (fieldKey, value) in mapping {
            let field = fieldKey.scalar?.string ?? ""
            guard known.contains(field) else {
                throw ConfigurationError(
                    key: key,
                    message: "entry \(entry) has an unknown field \(ConfigurationError.quoted(field)) "
                        + "(known: \(known.joined(separator: ", "))) (in \(location))")
            }
            guard case .scalar(let scalar) = value, !Self.isNull(value) || scalar.string.isEmpty else {
                throw ConfigurationError(
                    key: key, message: "entry \(entry) field \(field) needs a single value (in \(location))")
            }
            let text = ConfigurationValueReader.trimmed(scalar.string)
            guard !text.contains(where: { ":/,=".contains($0) }) else {
                throw ConfigurationError(
                    key: key,
                    message: "entry \(entry) field \(field): \(ConfigurationError.quoted(text)) is not a plain value (in \(location))")
            }
            fields[field] = text
        }
        for required in ["name", "threshold", "window"] where fields[required, default: ""].isEmpty {
            throw ConfigurationError(key: key, message: "entry \(entry) needs \(required) (in \(location))")
        }
        var text = "\(fields["name"] ?? ""):\(fields["threshold"] ?? "")/\(fields["window"] ?? "")"
        if let mode = fields["mode"], !mode.isEmpty { text += ":" + mode }
        if let dryRun = fields["dry_run"] {
            switch dryRun.lowercased() {
            case "true", "yes", "on", "1": text += ":dry_run"
            case "false", "no", "off", "0", "": break
            default:
                throw ConfigurationError(
                    key: key,
                    message: "entry \(entry) field dry_run: \(ConfigurationError.quoted(dryRun)) is not true or false (in \(location))")
            }
        }
        if let ban = fields["ban_seconds"], !ban.isEmpty { text += ":ban=" + ban }
        return text
    }

    /// Throws for `~` and `null`, which would otherwise be taken as the text "~" or "null". An empty value
    /// (`key:`) is also a YAML null but reads as "", which is what it looks like, so it passes.
    private static func rejectNull(_ node: Node, key: String, location: String) throws(ConfigurationError) {
        guard isNull(node), let text = node.scalar?.string, !text.isEmpty else { return }
        throw ConfigurationError(
            key: key, message: "\(text) is not allowed; write \"\" or leave the key out (in \(location))")
    }

    /// Whether YAML resolves `node` to null: `~`, `null` or nothing at all.
    private static func isNull(_ node: Node) -> Bool {
        node.tag.rawValue == Tag.Name.null.rawValue
    }

    /// `path line N`, or the path alone when the position is unknown.
    private func position(of mark: Mark?) -> String {
        guard let mark else { return path }
        return "\(path) line \(mark.line)"
    }

    /// A one-line account of a Yams error: position and problem, without the multi-line source snippet.
    private static func summary(of error: any Error) -> String {
        if let error = error as? YamlError {
            switch error {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                .composer(let context, let problem, let mark, _):
                let contextText = context.map { "\($0.text) " } ?? ""
                return "line \(mark.line), column \(mark.column): \(contextText)\(problem)"
            case .duplicatedKeysInMapping(let duplicates, let context):
                let keys = duplicates.sorted().map(ConfigurationError.quoted).joined(separator: ", ")
                return "duplicate key \(keys) in the mapping at line \(context.mark.line)"
            default:
                break
            }
        }
        let text = String(describing: error)
        return String(text.prefix { !$0.isNewline })
    }
}
