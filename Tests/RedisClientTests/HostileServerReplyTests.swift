import IPWatcherTestSupport
import NIOCore
import RESP
import RedisClient
import Testing

/// A server that passes the handshake and then sends an oversized, too deeply nested or garbled reply: the command
/// fails with a protocol violation, the client closes that connection, and a reconnecting ``RedisServerClient`` carries on
/// on a new connection. The parser's limits themselves are pinned byte by byte in RESPTests/ParserLimitsTests and
/// the handler's reaction in RedisChannelHandlerTests; this runs the whole client over real sockets.
@Suite("Hostile replies from a fake server", .timeLimit(.minutes(10)), .measuresTime)
struct HostileServerReplyTests {
    /// One reply no real Redis sends, and the parser error it must cause.
    struct HostileReply: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let code: RESPParsingError.Code

        var testDescription: String { name }

        static let all: [HostileReply] = [
            // 1 GiB declared, over the 512 MiB default; only 16 payload bytes follow and the server then stays
            // silent, so a client that buffered towards the declared length would wait and time out instead.
            HostileReply(
                name: "bulk string declaring 1 GiB",
                bytes: Array("$1073741824\r\n0123456789abcdef".utf8), code: .lengthLimitExceeded),
            HostileReply(
                name: "array declaring 32 Mi elements",
                bytes: Array("*33554432\r\n:1\r\n".utf8), code: .countLimitExceeded),
            // Headers only, no innermost value: refused from the nesting alone.
            HostileReply(
                name: "arrays nested 40 deep",
                bytes: Array(String(repeating: "*1\r\n", count: 40).utf8), code: .depthLimitExceeded),
            HostileReply(
                name: "maps nested 40 deep",
                bytes: Array(String(repeating: "%1\r\n+k\r\n", count: 40).utf8), code: .depthLimitExceeded),
            // Longer than the 64 KiB line limit and never terminated.
            HostileReply(
                name: "simple string of 100 KiB without CRLF",
                bytes: Array("+".utf8) + Array(repeating: UInt8(ascii: "a"), count: 100 * 1024),
                code: .lineTooLong),
            HostileReply(name: "garbage type byte", bytes: Array("?garbage\r\n".utf8), code: .invalidTypeIdentifier),
            HostileReply(name: "HTTP instead of RESP", bytes: Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8),
                code: .invalidTypeIdentifier),
        ]
    }

    /// A command timeout far above how long a refusal takes, so "waited for the payload" shows as a timeout error
    /// rather than passing; quick reconnects.
    static let configuration = RedisConnectionConfiguration(
        connectTimeout: .seconds(5), commandTimeout: .seconds(15), clientName: "hostile-test",
        backoff: RedisBackoff(initial: .milliseconds(10), maximum: .milliseconds(100)))

    @Test("a hostile reply fails the command with protocolViolation and closes the connection",
        arguments: HostileReply.all)
    func hostileReplyClosesTheConnection(_ reply: HostileReply) async throws {
        try await withFakeServer(reply) { server in
            let connection = try await RedisConnection.connect(
                to: RedisEndpoint(url: server.url), configuration: Self.configuration)
            #expect(try await connection.send("PING").string == "PONG")
            let error = await #expect(throws: RedisError.self) { try await connection.send("GET", "key") }
            guard case .protocolViolation(let violation) = error else {
                Issue.record("expected protocolViolation(\(reply.code)), got \(String(describing: error))")
                return
            }
            #expect(violation.code == reply.code, "\(violation)")
            // The server never closes on its own, so an end it sees is the client's close.
            try #require(
                await eventually { server.snapshot.closed == [1] }, "the server saw no EOF: \(server.snapshot)")
            #expect(!connection.isActive)
            let afterwards = await #expect(throws: RedisError.self) { try await connection.send("PING") }
            #expect(afterwards?.kind == "connectionClosed", "\(String(describing: afterwards))")
            #expect(server.snapshot.garbledCommands == 0)
        }
    }

    @Test("after a hostile reply a RedisServerClient reconnects and the next command succeeds on a new connection",
        arguments: HostileReply.all)
    func clientReconnectsAfterHostileReply(_ reply: HostileReply) async throws {
        try await withFakeServer(reply) { server in
            let client = RedisServerClient(endpoint: try RedisEndpoint(url: server.url), configuration: Self.configuration)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.run() }
                defer { group.cancelAll() }
                try #require(await eventually { client.state.isReady }, "never connected; state \(client.state)")

                let error = await #expect(throws: RedisError.self) { try await client.send("GET", "key") }
                #expect(error?.kind == "protocolViolation", "\(String(describing: error))")
                try #require(
                    await eventually { server.snapshot.closed.contains(1) }, "the server saw no EOF: \(server.snapshot)")

                // Once the new connection is up, the same command gets the proper answer.
                try #require(
                    await eventually { try await client.send("GET", "key").string == "ok" },
                    "no successful GET after the hostile reply; state \(client.state), server \(server.snapshot)")
                let events = server.snapshot
                #expect(events.hostileOn == 1)
                #expect(events.accepted >= 2, "\(events)")
                #expect(!events.answeredOn.isEmpty && !events.answeredOn.contains(1), "\(events)")
                #expect(client.connectionCount >= 2)
                #expect(events.garbledCommands == 0)
            }
        }
    }

    @Test("a bulk string over the connection's configured limit is refused from its header, then the client reconnects")
    func bulkOverConfiguredLimitIsRefusedFromItsHeader() async throws {
        // 5 MiB declared against a 4 MiB limit (ipwatcher's redis.max_bulk_bytes default), far under the 512 MiB
        // default; only 16 payload bytes follow, so waiting for the payload would end in a timeout instead.
        let reply = HostileReply(
            name: "bulk string declaring 5 MiB", bytes: Array("$5242880\r\n0123456789abcdef".utf8),
            code: .lengthLimitExceeded)
        let configuration = {
            var configuration = Self.configuration
            configuration.parserLimits = RESPParserLimits(maxBulkLength: 4 * 1024 * 1024)
            return configuration
        }()
        try await withFakeServer(reply) { server in
            let client = RedisServerClient(endpoint: try RedisEndpoint(url: server.url), configuration: configuration)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.run() }
                defer { group.cancelAll() }
                try #require(await eventually { client.state.isReady }, "never connected; state \(client.state)")
                let started = ContinuousClock.now
                let error = await #expect(throws: RedisError.self) { try await client.send("GET", "key") }
                guard case .protocolViolation(let violation) = error else {
                    Issue.record("expected protocolViolation, got \(String(describing: error))")
                    return
                }
                #expect(violation.code == .lengthLimitExceeded, "\(violation)")
                #expect(ContinuousClock.now - started < .seconds(10), "refused only after waiting for the payload")
                try #require(
                    await eventually { try await client.send("GET", "key").string == "ok" },
                    "no successful GET after the refused reply; state \(client.state), server \(server.snapshot)")
                // The server may notice the first connection's end after the second one answered.
                try #require(
                    await eventually { server.snapshot.closed.contains(1) }, "the server saw no EOF: \(server.snapshot)")
                #expect(client.connectionCount >= 2)
            }
        }
    }

    /// Starts a fake server answering the first GET with `reply`, runs `body` under a deadline, stops the server.
    private func withFakeServer(
        _ reply: HostileReply, _ body: @escaping @Sendable (FakeRedisServer) async throws -> Void
    ) async throws {
        let server = try await FakeRedisServer.start(hostileReply: reply.bytes)
        do {
            try await withTestDeadline(.seconds(30)) { try await body(server) }
            await server.stop()
        } catch {
            await server.stop()
            throw error
        }
    }
}
