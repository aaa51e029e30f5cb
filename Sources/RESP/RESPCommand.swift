import NIOCore

/// One command, already encoded as a RESP array of bulk strings.
///
/// Encoding happens once, when the command is created; the value can then be sent, retried or put in a
/// transaction without encoding it again.
public struct RESPCommand: Sendable, Hashable, CustomStringConvertible {
    /// The encoded bytes.
    public let bytes: ByteBuffer

    /// Encodes a command from its name and arguments, for example `RESPCommand("INCRBY", key, 3)`.
    public init<each Argument: RESPArgument>(_ arguments: repeat each Argument) {
        var encoder = RESPCommandEncoder()
        encoder.encode(repeat each arguments)
        self.bytes = encoder.buffer
    }

    /// Wraps bytes that hold exactly one command encoded by a ``RESPCommandEncoder``, such as an encoder's
    /// ``RESPCommandEncoder/buffer`` after one `encode`.
    public init(encoded bytes: ByteBuffer) {
        self.bytes = bytes
    }

    /// The command's name in upper case, such as `BLPOP`; arguments are left out because they may hold secrets.
    public var name: String { Self.name(of: bytes) }

    /// The name of the first command encoded in `bytes`, upper-cased, or `?` when there is none.
    ///
    /// Parses the bytes, so callers on a hot path should ask only when they need the name (an error message).
    public static func name(of bytes: ByteBuffer) -> String {
        var remaining = bytes
        var parser = RESPParser()
        guard let token = try? parser.next(from: &remaining), let first = token.array?.first(where: { _ in true })
        else { return "?" }
        return (first.string ?? "?").uppercased()
    }

    /// The command's name only, for logs and errors.
    public var description: String { name }
}
