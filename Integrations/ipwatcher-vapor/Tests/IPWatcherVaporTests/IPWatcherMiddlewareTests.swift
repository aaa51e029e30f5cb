import Detection
import IPWatcherTestSupport
import IPWatcherVapor
import IPWatcherWeb
import LocalRedis
import Logging
import RESP
import RedisClient
import Testing
import Vapor

/// The middleware in a Vapor app run by `execute(running:)`, over real HTTP against a real redis-server.
@Suite("IPWatcherMiddleware in a Vapor app", .needsRedisServer, .timeLimit(.minutes(10)))
struct IPWatcherMiddlewareTests {
    /// Runs `body` with an app serving on a free port, behind the middleware, whose `GET /whoami` answers the
    /// client the middleware decided on; `body` returns before the app stops, and the app's run has ended when
    /// this returns.
    static func withApp(
        _ configuration: WebTierConfiguration,
        _ body: @escaping @Sendable (Int, WebTierGuard) async throws -> Void
    ) async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let app = try await Application.make(
            Environment(name: "testing", arguments: ["vapor", "serve", "--hostname", "127.0.0.1", "--port", "0"]),
            logger: logger)
        let guardian = WebTierGuard(configuration: configuration)
        app.middleware.use(IPWatcherMiddleware(guardian), at: .beginning)
        app.get("whoami") { request in request.ipwatcher.map { "\($0.client)" } ?? "undecided" }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.execute(running: guardian) }
                var port: Int?
                try await waitUntil("the app listens and its mirror has loaded") {
                    port = app.http.server.shared.localAddress?.port
                    return port != nil && !guardian.mirror.isStale
                }
                do {
                    try await body(port ?? 0, guardian)
                } catch {
                    app.running?.stop()
                    throw error
                }
                app.running?.stop()
                try await group.waitForAll()
            }
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    @Test("a blocked client gets the configured status, body and content type, with Retry-After from its ban")
    func refusalIsConfigurable() async throws {
        try await withRedisServer { server in
            try await Self.withApp(try await MiddlewareRefusalCheck.prepare(server)) { port, guardian in
                try await MiddlewareRefusalCheck.expectRefusal(port: port, path: "/whoami", guardian: guardian)
            }
        }
    }

    @Test("routes read the decision: the client behind the trusted proxy, not a header an untrusted peer wrote")
    func routesReadTheDecision() async throws {
        try await withRedisServer { server in
            var configuration = try MiddlewareRefusalCheck.trustingLoopback(server)
            configuration.trustedProxies = [try #require(IPNetwork("127.0.0.1/32"))]
            try await Self.withApp(configuration) { port, _ in
                let proxied = try await HTTPTestClient.send(
                    "/whoami", port: port, headers: [("X-Forwarded-For", "203.0.113.9, 127.0.0.1")])
                #expect(proxied.status == 200 && proxied.body == "203.0.113.9")
            }
            configuration.trustedProxies = [try #require(IPNetwork("10.0.0.0/8"))]
            try await Self.withApp(configuration) { port, _ in
                let spoofed = try await HTTPTestClient.send(
                    "/whoami", port: port, headers: [("X-Forwarded-For", "203.0.113.9")])
                #expect(spoofed.status == 200 && spoofed.body == "127.0.0.1")
            }
        }
    }

    @Test("when the app stops, execute(running:) sends what the recorder still holds")
    func stoppingTheAppFlushesTheRecorder() async throws {
        try await withRedisServer { server in
            var configuration = try MiddlewareRefusalCheck.trustingLoopback(server)
            // No timed flush happens during the test: only the shutdown's flush can push these.
            configuration.recorder.flushInterval = .seconds(600)
            try await Self.withApp(configuration) { port, guardian in
                for client in 1...5 {
                    let response = try await HTTPTestClient.send(
                        "/whoami", port: port, headers: [("X-Forwarded-For", "198.18.0.\(client)")])
                    #expect(response.status == 200)
                }
                #expect(guardian.recorder.statistics.buffered == 5)
            }
            let queued = try await withConnection(server.url) { redis in try await redis.send("LLEN", "ips").int }
            #expect(queued == 5)
        }
    }
}
