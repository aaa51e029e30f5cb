/// An error reply from the Redis server, such as `WRONGTYPE Operation against a key holding the wrong kind of value`.
public struct RedisServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The whole message as the server sent it.
    public let message: String

    /// Creates an error from the text of an error reply.
    public init(message: String) {
        self.message = message
    }

    /// The error code: the message's first word when it is in upper case (`ERR`, `WRONGTYPE`, `NOAUTH`,
    /// `WRONGPASS`, `NOSCRIPT`, `MOVED`, …), else `ERR`, the generic code Redis uses.
    public var code: String {
        let word = message.prefix { $0 != " " }
        guard !word.isEmpty, word.allSatisfy({ $0.isUppercase || $0 == "_" || $0.isNumber }) else { return "ERR" }
        return String(word)
    }

    /// Codes of errors that mean "not now" rather than "no": the command did not run, and the same command
    /// will succeed later (`LOADING`: a restarted server still reading its data; `BUSY`: a long script).
    public static let transientCodes: Set<String> = ["LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN"]

    /// Whether retrying the same command later can succeed; see ``transientCodes``.
    public var isTransient: Bool { Self.transientCodes.contains(code) }

    public var description: String { message }
}
