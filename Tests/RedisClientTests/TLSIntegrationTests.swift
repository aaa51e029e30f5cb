import Foundation
import IPWatcherTestSupport
import LocalRedis
import RESP
import RedisClient
import Testing

@Suite("TLS against a real redis-server", .serialized, .needsRedisServer, .timeLimit(.minutes(10)), .measuresTime)
struct TLSIntegrationTests {
    /// Generates a throwaway CA in a fresh temporary directory, starts a server with a TLS port using it, runs
    /// `body`, and removes the directory afterwards.
    static func withTLSServer(
        requireClientCertificates: Bool = false,
        _ body: @escaping @Sendable (LocalRedisServer, TestCertificateAuthority, Int) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ipwatcher-tls-\(UInt64.random(in: 0...UInt64.max))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let authority = try TestCertificateAuthority.generate(in: directory)
        var options = LocalRedisServerOptions()
        options.tls = authority.serverTLS(requireClientCertificates: requireClientCertificates)
        try await withRedisServer(options) { server in
            let tlsPort = try #require(server.tlsPort)
            try await body(server, authority, tlsPort)
        }
    }

    /// Connecting must fail, quickly and with a connection-level error rather than a hang or a server error.
    @discardableResult
    static func expectConnectFails(
        _ url: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async -> RedisError? {
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: RedisError.self, sourceLocation: sourceLocation) {
            try await withConnection(url) { connection in
                // Reaching here means the handshake passed; make sure the connection is really unusable.
                _ = try await connection.send("PING")
            }
        }
        let elapsed = start.duration(to: clock.now)
        #expect(
            error?.kind == "connectFailed" || error?.kind == "connectionClosed",
            "\(String(describing: error))", sourceLocation: sourceLocation)
        #expect(elapsed < .seconds(5), "failed only after \(elapsed)", sourceLocation: sourceLocation)
        return error
    }

    @Test("rediss://localhost:PORT?ca=<CA file> verifies the server and runs commands")
    func verifiedConnectionWithCAFile() async throws {
        try await Self.withTLSServer { _, authority, tlsPort in
            try await withConnection("rediss://localhost:\(tlsPort)?ca=\(authority.caCertificateFile)") { connection in
                #expect(try await connection.send("PING").string == "PONG")
                _ = try await connection.send("SET", "secure", "yes")
                #expect(try await connection.send("GET", "secure").string == "yes")
            }
        }
    }

    @Test("rediss://127.0.0.1:PORT?ca=… verifies against the certificate's IP address")
    func verifiedConnectionToIPAddress() async throws {
        try await Self.withTLSServer { _, authority, tlsPort in
            let url = "rediss://127.0.0.1:\(tlsPort)?ca=\(authority.caCertificateFile)"
            try await withConnection(url) { connection async throws in
                #expect(try await connection.send("PING").string == "PONG")
            }
        }
    }

    @Test("Without ca the system trust store rejects the test CA: connectFailed, not a hang")
    func systemTrustRejectsTestCertificate() async throws {
        try await Self.withTLSServer { _, _, tlsPort in
            let error = await Self.expectConnectFails("rediss://localhost:\(tlsPort)")
            // Says in words that the certificate was refused, not only as a BoringSSL error stack.
            let message = error.map { "\($0)" } ?? ""
            #expect(message.contains("TLS: certificate not trusted"), "\(message)")
            #expect(message.contains("CA file"), "\(message)")
        }
    }

    @Test("verify=none connects without a CA file")
    func verifyNoneSkipsVerification() async throws {
        try await Self.withTLSServer { _, _, tlsPort in
            try await withConnection("rediss://localhost:\(tlsPort)?verify=none") { connection async throws in
                #expect(try await connection.send("PING").string == "PONG")
            }
        }
    }

    @Test("A plain redis:// connection to the TLS port fails instead of hanging")
    func plainConnectionToTLSPortFails() async throws {
        try await Self.withTLSServer { _, _, tlsPort in
            var configuration = RedisConnectionConfiguration()
            configuration.connectTimeout = .seconds(2)
            let clock = ContinuousClock()
            let start = clock.now
            await #expect(throws: RedisError.self) {
                try await withConnection("redis://127.0.0.1:\(tlsPort)", configuration: configuration) { connection in
                    _ = try await connection.send("PING")
                }
            }
            #expect(start.duration(to: clock.now) < .seconds(5))
        }
    }

    @Test("When the server requires client certificates, cert and key in the URL are accepted")
    func clientCertificateAccepted() async throws {
        try await Self.withTLSServer(requireClientCertificates: true) { _, authority, tlsPort in
            let url = "rediss://localhost:\(tlsPort)?ca=\(authority.caCertificateFile)"
                + "&cert=\(authority.clientCertificateFile)&key=\(authority.clientKeyFile)"
            try await withConnection(url) { connection async throws in
                #expect(try await connection.send("PING").string == "PONG")
            }
        }
    }

    @Test("When the server requires client certificates, connecting without one fails")
    func missingClientCertificateRejected() async throws {
        try await Self.withTLSServer(requireClientCertificates: true) { _, authority, tlsPort in
            await Self.expectConnectFails("rediss://localhost:\(tlsPort)?ca=\(authority.caCertificateFile)")
        }
    }
}
