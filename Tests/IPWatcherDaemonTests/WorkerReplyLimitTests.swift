import Foundation
import IPWatcherDaemon
import IPWatcherTestSupport
import Logging
import NIOCore
import NIOPosix
import RESP
import RedisClient
import Synchronization
import Testing

/// The worker's connections refuse replies far larger than anything it asks for: a bulk string over
/// `redis.max_bulk_bytes` closes the connection from its header, and a script reply with more elements than the
/// script can return is refused before a single element is acted on. Heavy: the 64 MiB fake reply keeps a core
/// busy for seconds.
@Suite("Worker: replies larger than asked", .timeLimit(.minutes(10)), .loadsMachine)
struct WorkerReplyLimitTests {
    /// The connection configuration `ipwatcher run` uses with the default configuration.
    static let daemonConfiguration = IPWatcherConfiguration(
        redis: .init(), queue: .init(), detection: .init(), blocklist: .init(), log: .init()
    ).redisConnectionConfiguration

    @Test("a bulk over redis.max_bulk_bytes fails as a length-limit violation, then the client reconnects",
        .needsRedisServer)
    func bulkOverTheLimitIsRefusedAndTheClientReconnects() async throws {
        let limit = IPWatcherConfiguration.Redis.defaultMaxBulkBytes
        #expect(Self.daemonConfiguration.parserLimits.maxBulkLength == limit)
        try await withRedisServer { server in
            try await withConnection(server.url) { redis in
                // One byte over the limit, made inside Redis so the test's own connection never carries it.
                let script = "redis.call('SET', 'big', string.rep('x', ARGV[1])) return 1"
                _ = try await redis.send("EVAL", script, 0, limit + 1)
                _ = try await redis.send("SET", "small", "ok")
            }
            let client = RedisServerClient(
                endpoint: try RedisEndpoint(url: server.url), configuration: Self.daemonConfiguration)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.run() }
                defer { group.cancelAll() }
                try #require(await eventually { client.state.isReady }, "never connected; state \(client.state)")
                let error = await #expect(throws: RedisError.self) { try await client.send("GET", "big") }
                guard case .protocolViolation(let violation) = error else {
                    Issue.record("expected a protocol violation, got \(String(describing: error))")
                    return
                }
                #expect(violation.code == .lengthLimitExceeded, "\(violation)")
                try #require(
                    await eventually { try await client.send("GET", "small").string == "ok" },
                    "no successful GET after the refused reply; state \(client.state)")
                #expect(client.connectionCount >= 2)
            }
        }
    }

    @Test("a ban-expiry reply of 16,777,215 units: nothing unblocked or logged per unit, one Redis error")
    func banExpiryReplyOverItsLimitIsNotActedOn() async throws {
        let count = 16_777_215
        var reply = ByteBuffer(string: "*\(count)\r\n")
        reply.writeString(String(repeating: "+u\r\n", count: count))
        // Both ends on an event loop of their own: reading 64 MiB of reply holds a debug build's loop for seconds,
        // which on the shared loops stalled other tests' connections (a fake server saw no EOF within 5 s).
        let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { loop.shutdownGracefully { _ in } }
        let server = try await CannedScriptReplyServer.start(scriptReply: reply, group: loop)
        do {
            try await withTestDeadline(.seconds(90)) {
                let lines = LineCounter.Lines()
                let logger = Logger(label: "reply-limit-test") { _ in LineCounter(lines: lines) }
                // The daemon's limits, with time for a debug build to scan 64 MiB of reply.
                var configuration = Self.daemonConfiguration
                configuration.commandTimeout = .seconds(60)
                let client = RedisServerClient(
                    endpoint: try RedisEndpoint(url: server.url), configuration: configuration, eventLoopGroup: loop)
                let statistics = WorkerStatistics()
                let expiry = BanExpiryService(
                    client: RedisRouter(.server(client)), settings: .forTests, statistics: statistics, logger: logger)
                await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await client.run() }
                    defer { group.cancelAll() }
                    let error = await #expect(throws: ReplySizeError.self) {
                        try await expiry.expireOnce(now: nowMilliseconds())
                    }
                    #expect(error?.count == count && error?.allowed == .atMost(500), "\(String(describing: error))")
                    #expect(server.scriptCalls == 1)
                }
                let totals = statistics.snapshot
                #expect(totals.unblocked == 0)
                #expect(totals.redisErrors == 1)
                #expect(lines.count(containing: "unblocking") == 0)
            }
            await server.stop()
        } catch {
            await server.stop()
            throw error
        }
    }

    /// A log handler that keeps only each message's text, to count the lines that mention something.
    struct LineCounter: LogHandler {
        /// The messages logged so far, shared by every copy of the handler.
        final class Lines: Sendable {
            private let messages = Mutex<[String]>([])

            func append(_ message: String) { messages.withLock { $0.append(message) } }

            func count(containing text: String) -> Int { messages.withLock { $0.count { $0.contains(text) } } }
        }

        let lines: Lines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            lines.append(event.message.description)
        }
    }
}
