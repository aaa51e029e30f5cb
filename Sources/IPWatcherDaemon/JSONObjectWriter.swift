/// Builds one JSON object field by field, escaping every string, for events and `--json` output.
///
/// Values that come from Redis (unit names in the blocklist, entries of the queue) may hold anything, so nothing
/// is pasted into JSON unescaped: strings follow RFC 8259, with every control character escaped, and also
/// U+2028/U+2029, which JavaScript before ES2019 reads as line ends. Appends to one `String`, so an event costs a
/// single allocation in the usual case, and Foundation stays out of the worker.
public struct JSONObjectWriter: Sendable {
    private var text: String
    private var isEmpty = true

    /// Starts an empty object; `capacity` reserves room for the expected length of the whole object.
    public init(capacity: Int = 160) {
        text = "{"
        text.reserveCapacity(capacity)
    }

    /// Adds `"name":"value"`.
    public mutating func add(_ name: String, _ value: String) {
        key(name)
        Self.appendQuoted(value, to: &text)
    }

    /// Adds `"name":value`, or `null` when `value` is nil.
    public mutating func add(_ name: String, _ value: Int64?) {
        key(name)
        if let value { text += String(value) } else { text += "null" }
    }

    /// Adds `"name":value`.
    public mutating func add(_ name: String, _ value: Int) {
        key(name)
        text += String(value)
    }

    /// Adds `"name":true` or `"name":false`.
    public mutating func add(_ name: String, _ value: Bool) {
        key(name)
        text += value ? "true" : "false"
    }

    /// The finished object; the writer can still be added to, and its next `json` includes the new fields.
    public var json: String { text + "}" }

    /// A JSON array of already encoded `elements`, such as objects from ``json``.
    public static func array(_ elements: [String]) -> String {
        "[" + elements.joined(separator: ",") + "]"
    }

    /// `value` as a JSON string with its quotes.
    public static func quoted(_ value: String) -> String {
        var result = ""
        appendQuoted(value, to: &result)
        return result
    }

    private mutating func key(_ name: String) {
        if !isEmpty { text += "," }
        isEmpty = false
        Self.appendQuoted(name, to: &text)
        text += ":"
    }

    /// Appends `value` in quotes; runs of characters that need no escape are copied as one slice.
    private static func appendQuoted(_ value: String, to text: inout String) {
        text += "\""
        let scalars = value.unicodeScalars
        var runStart = scalars.startIndex
        var index = runStart
        while index != scalars.endIndex {
            let scalar = scalars[index]
            let escape: String? =
                switch scalar {
                case "\"": "\\\""
                case "\\": "\\\\"
                case "\n": "\\n"
                case "\r": "\\r"
                case "\t": "\\t"
                case "\u{08}": "\\b"
                case "\u{0C}": "\\f"
                case "\u{2028}": "\\u2028"
                case "\u{2029}": "\\u2029"
                default: scalar.value < 0x20 ? unicodeEscape(scalar.value) : nil
                }
            if let escape {
                text.unicodeScalars.append(contentsOf: scalars[runStart..<index])
                text += escape
                runStart = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        text.unicodeScalars.append(contentsOf: scalars[runStart..<index])
        text += "\""
    }

    /// `\u00XX` for a control character.
    private static func unicodeEscape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}
