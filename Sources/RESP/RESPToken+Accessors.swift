import NIOCore

extension RESPToken {
    /// Whether the reply is a RESP3 null or a RESP2 null bulk string or null array.
    public var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    /// Whether the reply is a simple or bulk error.
    public var isError: Bool { type == .simpleError || type == .bulkError }

    /// The payload of a string-like reply (simple, bulk, verbatim text, big number), without copying it.
    public var bytes: ByteBuffer? {
        switch value {
        case .simpleString(let buffer), .bulkString(let buffer), .bigNumber(let buffer): return buffer
        case .verbatimString(_, let text): return text
        default: return nil
        }
    }

    /// The payload of a string-like reply as text (invalid UTF-8 is repaired, never rejected).
    public var string: String? { bytes.map { String(buffer: $0) } }

    /// An integer reply, or a string-like reply that holds exactly a decimal integer (as `GET` of a counter does).
    public var int: Int64? {
        if case .integer(let value) = value { return value }
        guard let payload = bytes else { return nil }
        return payload.withUnsafeReadableBytes { RESPScanner.integer($0, 0, $0.count) }
    }

    /// A double reply, or a string-like reply that holds a number (RESP2 sends scores as bulk strings).
    public var double: Double? {
        switch value {
        case .double(let value): return value
        case .integer(let value): return Double(value)
        default:
            guard let payload = bytes else { return nil }
            return payload.withUnsafeReadableBytes { RESPScanner.double($0, 0, $0.count) }
        }
    }

    /// A boolean reply, or RESP2's integer 0 or 1 that commands such as `SISMEMBER` send instead.
    public var bool: Bool? {
        switch value {
        case .boolean(let value): return value
        case .integer(0): return false
        case .integer(1): return true
        default: return nil
        }
    }

    /// The elements of an array, set or push reply; nil for anything else, including a null array.
    public var array: RESPToken.Array? {
        switch value {
        case .array(let elements), .set(let elements), .push(let elements): return elements
        default: return nil
        }
    }

    /// The pairs of a map reply; nil for anything else.
    public var map: RESPToken.Map? {
        if case .map(let pairs) = value { return pairs }
        return nil
    }

    /// The text of a simple or bulk error reply, such as `WRONGTYPE Operation against a key holding…`.
    public var errorMessage: String? {
        switch value {
        case .simpleError(let buffer), .bulkError(let buffer): return String(buffer: buffer)
        default: return nil
        }
    }

    /// The reply without any RESP3 attributes that precede it.
    public var withoutAttributes: RESPToken {
        var token = self
        while case .attribute(_, let annotated) = token.value { token = annotated }
        return token
    }
}
