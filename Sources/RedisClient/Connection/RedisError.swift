import RESP

/// Everything that can go wrong talking to Redis, with what a user needs to fix it.
public enum RedisError: Error, Sendable, CustomStringConvertible {
    /// The server answered this command with an error; other commands in the same pipeline are unaffected.
    case server(RedisServerError)
    /// The connection closed before the reply arrived; the command may or may not have run.
    case connectionClosed(reason: String)
    /// No connection could be made to the endpoint (the URL is shown without its password), for `cause`.
    case connectFailed(endpoint: String, cause: RedisConnectFailure)
    /// No reply within the allowed time; the connection was closed, since a late reply would be matched with the next command.
    case timeout(command: String, seconds: Double)
    /// The server sent bytes that are not RESP; the connection was closed.
    case protocolViolation(RESPParsingError)
    /// `EXEC` returned null because a key under `WATCH` changed: retry the whole read-check-write.
    case transactionAborted
    /// The endpoint URL or its options are unusable.
    case invalidEndpoint(url: String, reason: String)
    /// The TLS settings (CA file, certificate, key) could not be loaded.
    case tlsConfiguration(String)
    /// The server sent a well-formed reply of a shape the command does not produce.
    case unexpectedReply(command: String, reply: String)
    /// The client has no connection at the moment and none came up in time.
    case notConnected(lastError: String?)
    /// The client or connection was shut down by its owner.
    case shutdown

    /// The server's error code when this is a server error, such as `WRONGPASS`.
    public var serverErrorCode: String? {
        if case .server(let error) = self { return error.code }
        return nil
    }

    /// How a request sent after the connection broke words the reason, before the reason the channel gave.
    static let closedEarlierPrefix = "the connection was closed earlier: "

    public var description: String {
        switch self {
        case .server(let error): return "Redis error: \(error.message)"
        case .connectionClosed(let reason): return "Redis connection closed: \(reason)"
        case .connectFailed(let endpoint, let cause): return "cannot connect to \(endpoint): \(cause)"
        case .timeout(let command, let seconds): return "\(command) got no reply within \(seconds) s"
        case .protocolViolation(let error): return "\(error); connection closed"
        case .transactionAborted: return "transaction aborted: a watched key changed"
        case .invalidEndpoint(let url, let reason): return "invalid Redis URL \(url): \(reason)"
        case .tlsConfiguration(let reason): return "TLS configuration: \(reason)"
        case .unexpectedReply(let command, let reply): return "unexpected reply to \(command): \(reply)"
        case .notConnected(let lastError): return "not connected to Redis" + (lastError.map { " (last error: \($0))" } ?? "")
        case .shutdown: return "Redis client shut down"
        }
    }
}
