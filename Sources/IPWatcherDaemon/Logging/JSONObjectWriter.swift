/// Builds one JSON object field by field, escaping every string, for events and `--json` output.
///
/// Values that come from Redis (unit names in the blocklist, entries of the queue) may hold anything, so nothing
/// is pasted into JSON unescaped: strings follow RFC 8259, with every control character escaped, and also
/// U+2028/U+2029, which JavaScript before ES2019 reads as line ends. Appends to one reserved `String`: a block
/// event costs two allocations (that buffer and the finished copy; JSONObjectWriterAllocationTests), whatever it
/// escapes, and Foundation stays out of the worker.
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

    /// Adds `"name":<json>`, where `json` is a value already encoded (a number, an array, an object).
    public mutating func addEncoded(_ name: String, _ json: String) {
        key(name)
        text += json
    }

    /// The finished object; the writer can still be added to, and its next `json` includes the new fields.
    public var json: String { text + "}" }

    /// The object so far without its closing brace, for a Lua script that appends fields only it knows
    /// (`,"offence":2,"expires_at":…}`); at least one field must have been added.
    public var openObject: String { text }

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

    /// Appends `value` in quotes, walking its UTF-8: runs that need no escape are copied as one slice, and every
    /// escape is a small string, so nothing here allocates while the reserved capacity lasts.
    private static func appendQuoted(_ value: String, to text: inout String) {
        text += "\""
        let bytes = value.utf8
        var runStart = bytes.startIndex
        var index = runStart
        while index != bytes.endIndex {
            let byte = bytes[index]
            var length = 1
            let escape: String?
            switch byte {
            case UInt8(ascii: "\""): escape = "\\\""
            case UInt8(ascii: "\\"): escape = "\\\\"
            case UInt8(ascii: "\n"): escape = "\\n"
            case UInt8(ascii: "\r"): escape = "\\r"
            case UInt8(ascii: "\t"): escape = "\\t"
            case 0x08: escape = "\\b"
            case 0x0C: escape = "\\f"
            case ..<0x20: escape = "\\u00" + hexDigit(byte >> 4) + hexDigit(byte & 0xF)
            case 0xE2:
                // U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
                let second = bytes.index(after: index)
                let third = second == bytes.endIndex ? second : bytes.index(after: second)
                if third != bytes.endIndex, bytes[second] == 0x80, bytes[third] == 0xA8 || bytes[third] == 0xA9 {
                    escape = bytes[third] == 0xA8 ? "\\u2028" : "\\u2029"
                    length = 3
                } else {
                    escape = nil
                }
            default: escape = nil
            }
            if let escape {
                // Both ends lie on scalar boundaries (an ASCII byte or a lead byte), so the slice is valid text.
                text += value[runStart..<index]
                text += escape
                index = bytes.index(index, offsetBy: length)
                runStart = index
            } else {
                index = bytes.index(after: index)
            }
        }
        text += value[runStart..<index]
        text += "\""
    }

    /// The lowercase hexadecimal digit for `nibble` (0...15).
    private static func hexDigit(_ nibble: UInt8) -> String {
        String(UnicodeScalar(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10))
    }
}
