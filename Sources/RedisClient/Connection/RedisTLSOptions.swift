/// How a `rediss://` connection sets up TLS.
public struct RedisTLSOptions: Sendable, Hashable {
    /// How much of the server's certificate is checked.
    public enum Verification: String, Sendable, Hashable {
        /// Chain of trust and host name (the default).
        case full
        /// Chain of trust only; for servers whose certificate names another host.
        case noHostname = "no-hostname"
        /// Nothing: encrypts but does not authenticate the server. Only for tests.
        case none
    }

    /// PEM file of the certificate authorities to trust; nil trusts the system's store.
    public var caFile: String?
    /// PEM certificate presented to servers that require client certificates (`tls-auth-clients yes`).
    public var certificateFile: String?
    /// PEM private key for ``certificateFile``.
    public var keyFile: String?
    /// Name sent in SNI and checked against the certificate; defaults to the URL's host when that is a name.
    public var serverName: String?
    /// How much of the server's certificate is checked.
    public var verification: Verification

    /// Creates options; verification is on by default.
    public init(
        caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, serverName: String? = nil,
        verification: Verification = .full
    ) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.serverName = serverName
        self.verification = verification
    }
}
