import NIOCore
import RedisClient
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// NIO's connect errors become the short cause an operator reads in the log: `connection refused`, not
/// `SingleConnectionFailure(target: …, error: connection reset (error set): Connection refused) (errno: 111))`.
@Suite("RedisConnectFailure: connect errors as causes")
struct RedisConnectFailureTests {
    @Test(
        "an errno from connect(2) names its cause",
        arguments: [
            (ECONNREFUSED, RedisConnectFailure.refused, "connection refused"),
            (ETIMEDOUT, .timedOut, "timed out"),
            (EHOSTUNREACH, .unreachable, "host unreachable"),
            (ENETUNREACH, .unreachable, "host unreachable"),
            (ECONNRESET, .reset, "connection reset"),
            (ENOENT, .noSuchSocket, "no such socket file"),
            (EACCES, .permissionDenied, "permission denied"),
        ])
    func errnoCauses(code: CInt, cause: RedisConnectFailure, text: String) {
        let failure = RedisConnectFailure(IOError(errnoCode: code, reason: "connect"))
        #expect(failure == cause)
        #expect(failure.description == text)
    }

    @Test("an errno without a case of its own reads as the system's words, not as an IOError")
    func otherErrno() {
        let failure = RedisConnectFailure(IOError(errnoCode: EADDRNOTAVAIL, reason: "connect"))
        #expect(failure == .other("cannot assign requested address"), "\(failure)")
    }

    @Test("NIO's connect timeout is timed out")
    func connectTimeout() {
        #expect(RedisConnectFailure(ChannelError.connectTimeout(.seconds(2))) == .timedOut)
    }

    @Test("a connectFailed error gives its cause, and cause(of:) the cause's words without the URL")
    func connectFailedPassesItsCause() {
        let error = RedisError.connectFailed(endpoint: "redis://127.0.0.1:1", cause: .refused)
        #expect(RedisConnectFailure(error) == .refused)
        #expect(RedisConnectFailure.cause(of: error) == "connection refused")
        #expect("\(error)" == "cannot connect to redis://127.0.0.1:1: connection refused")
    }

    @Test("cause(of:) keeps the description of an error that is not a connect failure")
    func otherErrorsKeepTheirWords() {
        let error = RedisError.timeout(command: "HELLO", seconds: 2)
        #expect(RedisConnectFailure.cause(of: error) == "\(error)")
    }

    @Test("TLS failures say TLS first")
    func tlsPrefix() {
        #expect(RedisConnectFailure.tls("certificate not trusted").description == "TLS: certificate not trusted")
    }
}
