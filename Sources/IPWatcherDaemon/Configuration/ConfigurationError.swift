/// A configuration value, key or file that cannot be used; the daemon exits with status 78 (`EX_CONFIG`) on it.
///
/// ``description`` is always a single line that names the dotted key and shows the offending value, for example
/// `detection.threshold: "abc" is not an integer from 1 to 1000000000`. Values of secret keys are never part of
/// it: Redis URLs are shown with their password replaced by `***`, and the password itself is never shown.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The dotted key the error is about, such as `detection.threshold`; empty when it concerns the configuration
    /// file as a whole (missing, unreadable, not YAML).
    public let key: String
    /// What is wrong, without the key.
    public let message: String
    /// The one-line text shown to the user.
    public let description: String

    /// Creates an error about `key`; the description is `key: message`.
    ///
    /// Line breaks in `message` are replaced by spaces, so the description stays on one line whatever it quotes.
    public init(key: String, message: String) {
        let message = Self.singleLine(message)
        self.key = key
        self.message = message
        self.description = key.isEmpty ? message : "\(key): \(message)"
    }

    /// Creates an error with its own wording; used where `key: message` reads badly, such as `unknown key x`.
    init(key: String, message: String, description: String) {
        self.key = key
        self.message = Self.singleLine(message)
        self.description = Self.singleLine(description)
    }

    /// The error for a key that is not part of the configuration; `source` says where it was found and
    /// `suggestion`, if any, is the known key it most likely misspells.
    static func unknownKey(_ key: String, source: String, suggestion: String?) -> ConfigurationError {
        let hint = suggestion.map { " (did you mean \($0)?)" } ?? ""
        return ConfigurationError(
            key: key, message: "unknown key in \(source)\(hint)", description: "unknown key \(key) in \(source)\(hint)")
    }

    /// The error for a value that does not parse or is out of range: `key: "value" is not …`.
    static func invalid(_ key: String, _ value: String, _ expectation: String) -> ConfigurationError {
        ConfigurationError(key: key, message: "\(quoted(value)) \(expectation)")
    }

    /// `text` in double quotes, escaped and cut after 200 characters, so that whatever a user typed cannot
    /// break the one-line form of an error.
    static func quoted(_ text: String) -> String {
        YAMLScalar.quoted(text, limit: 200)
    }

    /// `text` with every line break replaced by a space.
    private static func singleLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
