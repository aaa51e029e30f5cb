import NIOSSL

/// Words for an error the channel raised, for ``RedisError/connectionClosed(reason:)`` and the connect failure
/// built from it (``RedisConnectFailure/tls(_:)``).
///
/// TLS handshake errors arrive as BoringSSL error stacks (`handshakeFailed(sslError([… CERTIFICATE_VERIFY_FAILED
/// at …/handshake.cc:320]))`) that an operator cannot act on; a refused server certificate is the common case —
/// a missing CA file — so it gets a sentence saying what to check. Everything else is shown as it is.
enum ChannelErrorDescription {
    /// The text for `error`.
    static func describe(_ error: any Error) -> String {
        if let ssl = error as? NIOSSLError, case .handshakeFailed(let underlying) = ssl,
            "\(underlying)".contains("CERTIFICATE_VERIFY_FAILED")
        {
            return "certificate not trusted (CERTIFICATE_VERIFY_FAILED): it is not signed by a CA in the CA file "
                + "(ca), or by the system's trusted CAs when none is given, or it has expired, is not yet valid or "
                + "does not name the host"
        }
        return "\(error)"
    }
}
