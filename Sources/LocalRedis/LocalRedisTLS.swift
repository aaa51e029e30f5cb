/// TLS material for a private server.
///
/// The files are read by redis-server when it starts (and again on ``LocalRedisServer/restart()``),
/// so they must stay in place for the server's lifetime. The tests' `TestCertificateAuthority`
/// (IPWatcherTestSupport) produces a matching set.
public struct LocalRedisTLS: Sendable, Hashable {
    /// PEM certificate the server presents; clients verify it against ``caFile``.
    public var certificateFile: String
    /// PEM private key of ``certificateFile``, unencrypted because the server cannot prompt for a passphrase.
    public var keyFile: String
    /// PEM CA certificate used to verify client certificates (`tls-ca-cert-file`).
    public var caFile: String
    /// Whether clients must present a certificate signed by ``caFile`` (`tls-auth-clients yes`) or may connect without one.
    public var requireClientCertificates: Bool

    /// Creates TLS settings; client certificates are optional unless asked for, which is what most tests want.
    public init(certificateFile: String, keyFile: String, caFile: String, requireClientCertificates: Bool = false) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.caFile = caFile
        self.requireClientCertificates = requireClientCertificates
    }
}
