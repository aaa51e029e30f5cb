import Detection
import Hummingbird
import IPWatcherHummingbird
import IPWatcherTestSupport
import IPWatcherWeb
import LocalRedis
import Logging
import RESP
import RedisClient
import Testing

/// The middleware in an app of the test's own, over real HTTP against a real redis-server: the refusal it is
/// configured with, and the decision handlers read.
@Suite("IPWatcherMiddleware in a Hummingbird app", .needsRedisServer, .timeLimit(.minutes(10)))
struct IPWatcherMiddlewareTests {
    /// Runs `body` with an app on a free port whose `GET /whoami` answers the client the middleware decided on.
    static func withApp(
        _ configuration: WebTierConfiguration, _ body: @escaping @Sendable (Int, WebTierGuard) async throws -> Void
    ) async throws {
        let guardian = WebTierGuard(configuration: configuration)
        let router = Router(context: IPWatcherBasicRequestContext.self)
        router.add(middleware: IPWatcherMiddleware(guardian))
        router.get("/whoami") { _, context in context.ipwatcher.map { "\($0.client)" } ?? "undecided" }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        // The test ends the app by cancelling it, which Hummingbird reports as errors: not the test's business.
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), services: [guardian],
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await waitUntil("the mirror has loaded") { !guardian.mirror.isStale }
            try await body(port, guardian)
        }
    }

    @Test("a blocked client gets the configured status, body and content type, with Retry-After from its ban")
    func refusalIsConfigurable() async throws {
        try await withRedisServer { server in
            try await Self.withApp(try await MiddlewareRefusalCheck.prepare(server)) { port, guardian in
                try await MiddlewareRefusalCheck.expectRefusal(port: port, path: "/whoami", guardian: guardian)
            }
        }
    }

    @Test("handlers read the decision: the client behind the trusted proxy, and none is recorded twice")
    func handlersReadTheDecision() async throws {
        try await withRedisServer { server in
            try await Self.withApp(try MiddlewareRefusalCheck.trustingLoopback(server)) { port, guardian in
                let proxied = try await HTTPTestClient.send(
                    "/whoami", port: port, headers: [("X-Forwarded-For", "203.0.113.9, 127.0.0.1")])
                #expect(proxied.status == 200 && proxied.body == "203.0.113.9")
                let direct = try await HTTPTestClient.send("/whoami", port: port)
                #expect(direct.body == "127.0.0.1")
                #expect(await guardian.recorder.flush())
                #expect(guardian.recorder.statistics.pushed == 2 && guardian.statistics.served == 2)
            }
        }
    }
}
