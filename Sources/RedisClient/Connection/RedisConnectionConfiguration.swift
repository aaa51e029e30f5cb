import RESP

/// How connections are opened and how long commands may take.
public struct RedisConnectionConfiguration: Sendable {
    /// Which protocol the handshake asks for.
    public enum ProtocolPreference: Sendable, Hashable {
        /// `HELLO 3`, falling back to RESP2 on servers without `HELLO` (Redis before 6).
        case resp3
        /// RESP2 with `AUTH` and `SELECT`, as Redis 5 and older speak it.
        case resp2
    }

    /// Longest wait for the TCP, unix-socket and TLS connection plus the handshake.
    public var connectTimeout: Duration
    /// Longest wait for a reply; blocking commands add their own block time to it.
    public var commandTimeout: Duration
    /// Sent as `CLIENT SETNAME`, shown by `CLIENT LIST`; nil sends none.
    public var clientName: String?
    /// Which protocol to negotiate.
    public var protocolPreference: ProtocolPreference
    /// Bounds on what the server may send.
    public var parserLimits: RESPParserLimits
    /// Delays between reconnect attempts of a ``RedisServerClient``.
    public var backoff: RedisBackoff
    /// Server error codes that end ``RedisServerClient/run()`` with an error instead of a retry, because waiting
    /// cannot fix them: refused credentials. Empty to retry everything.
    public var fatalConnectErrorCodes: Set<String>

    /// Creates a configuration; the defaults suit a server on the same host or network.
    public init(
        connectTimeout: Duration = .seconds(5),
        commandTimeout: Duration = .seconds(5),
        clientName: String? = nil,
        protocolPreference: ProtocolPreference = .resp3,
        parserLimits: RESPParserLimits = .init(),
        backoff: RedisBackoff = .init(),
        fatalConnectErrorCodes: Set<String> = []
    ) {
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.clientName = clientName
        self.protocolPreference = protocolPreference
        self.parserLimits = parserLimits
        self.backoff = backoff
        self.fatalConnectErrorCodes = fatalConnectErrorCodes
    }

    /// The codes Redis answers refused credentials with.
    public static let authenticationErrorCodes: Set<String> = ["NOAUTH", "WRONGPASS", "NOPERM"]
}
