/// Writes strings as YAML scalars that read back as the same string.
///
/// Also the one quoting of user-typed text in error messages and of values in the configuration files the
/// benchmark writes: a double-quoted YAML scalar is one line whatever the text holds.
package enum YAMLScalar {
    /// Words YAML 1.1 (which Yams follows) reads as booleans or null when unquoted.
    private static let reservedWords: Set<String> = ["y", "n", "yes", "no", "true", "false", "on", "off", "null"]

    /// `text` unquoted when that is unambiguous (`ipwatcher`, `redis://127.0.0.1:6379`), otherwise double-quoted.
    ///
    /// Unquoted only when it starts with a letter, `_` or `/` (so it cannot be a number, date or indicator), uses
    /// only characters without a YAML meaning, does not end in `:` and is not a reserved word; everything else,
    /// including the empty string, is quoted and escaped.
    static func render(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, first.isPlainStart, !text.hasSuffix(":"),
            text.unicodeScalars.allSatisfy(\.isPlainBody), !reservedWords.contains(text.lowercased())
        else { return quoted(text) }
        return text
    }

    /// `text` in double quotes, with YAML escapes for quotes, backslashes and control characters.
    ///
    /// With `limit`, only the first `limit` scalars are kept and `…` marks the cut (the cut form no longer
    /// reads back as `text`; error messages use it so that a huge value cannot flood a log line).
    package static func quoted(_ text: String, limit: Int? = nil) -> String {
        var result = "\""
        for (index, scalar) in text.unicodeScalars.enumerated() {
            if let limit, index >= limit {
                result += "…"
                break
            }
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.properties.generalCategory == .control {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// A flow sequence of quoted strings: `["127.0.0.0/8", "::1/128"]`.
    package static func list(_ values: [String]) -> String {
        "[" + values.map { quoted($0) }.joined(separator: ", ") + "]"
    }
}

extension Unicode.Scalar {
    /// May start an unquoted scalar in ``YAMLScalar/render(_:)``.
    fileprivate var isPlainStart: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || self == "_" || self == "/"
    }

    /// May appear in an unquoted scalar in ``YAMLScalar/render(_:)``; `:` only matters before a space or at
    /// the end, and there are no spaces here.
    fileprivate var isPlainBody: Bool {
        isPlainStart || ("0"..."9").contains(self) || ".-:@+".unicodeScalars.contains(self)
    }
}
