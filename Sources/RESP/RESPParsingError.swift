/// Why bytes from a server are not a valid RESP reply.
///
/// Every case means the stream can no longer be trusted: the connection that produced it must be closed,
/// because the position of the next reply is unknown.
public struct RESPParsingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as a stable code tests and metrics can match on.
    public enum Code: String, Sendable, Hashable {
        case invalidTypeIdentifier = "invalid type byte"
        case invalidLength = "invalid length"
        case lengthLimitExceeded = "declared length over the limit"
        case countLimitExceeded = "declared element count over the limit"
        case lineTooLong = "line too long"
        case depthLimitExceeded = "nesting too deep"
        case invalidInteger = "invalid integer"
        case invalidDouble = "invalid double"
        case invalidBoolean = "invalid boolean"
        case invalidBigNumber = "invalid big number"
        case invalidNull = "invalid null"
        case invalidVerbatimString = "invalid verbatim string"
        case missingTerminator = "missing CRLF terminator"
        case trailingBytes = "bytes after the reply"
        case incomplete = "incomplete reply"
    }

    /// The kind of violation.
    public var code: Code
    /// Offset of the offending byte from the start of the reply being parsed.
    public var offset: Int

    /// Creates an error for a violation found `offset` bytes into the reply.
    public init(_ code: Code, offset: Int) {
        self.code = code
        self.offset = offset
    }

    public var description: String { "RESP protocol violation: \(code.rawValue) at byte \(offset) of the reply" }
}
