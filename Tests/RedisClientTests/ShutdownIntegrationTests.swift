import IPWatcherTestSupport
import NIOCore
import RESP
import RedisClient
import Testing

/// Signals the first outbound write on a channel, proving a request was registered and sent.
///
/// Placed first in the pipeline, it sees bytes on their way to the socket.
final class FirstWriteSignal: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var promise: EventLoopPromise<Void>?

    init(_ promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise writePromise: EventLoopPromise<Void>?) {
        context.write(data, promise: writePromise)
        promise?.succeed(())
        promise = nil
    }
}

@Suite("Shutdown of clients and connections", .serialized, .needsRedisServer, .timeLimit(.minutes(10)), .measuresTime)
struct ShutdownIntegrationTests {
    @Test("withClient returns the body's result; afterwards the client is shut down and sends fail with shutdown")
    func withClientEndsInShutdownState() async throws {
        try await withRedisServer { server in
            let (client, pong) = try await RedisServerClient.withClient(endpoint: RedisEndpoint(url: server.url)) { client in
                (client, try await client.send("PING").string)
            }
            #expect(pong == "PONG")
            #expect(client.state == .shutdown)
            let error = await #expect(throws: RedisError.self) { try await client.send("PING") }
            #expect(error?.kind == "shutdown", "\(String(describing: error))")
        }
    }

    @Test("withClient shuts the client down when the body throws, and rethrows")
    func withClientShutsDownWhenBodyThrows() async throws {
        struct BodyFailed: Error {}
        try await withRedisServer { server in
            let clients = Recorder<RedisServerClient>()
            await #expect(throws: BodyFailed.self) {
                try await RedisServerClient.withClient(endpoint: RedisEndpoint(url: server.url)) { client in
                    clients.append(client)
                    _ = try await client.send("PING")
                    throw BodyFailed()
                }
            }
            let client = try #require(clients.all.first)
            #expect(client.state == .shutdown)
        }
    }

    @Test("close() waits for the replies in flight: a GET sent before close still gets its reply")
    func gracefulCloseWaitsForInFlightReplies() async throws {
        try await withRedisConnection { server, controller in
            _ = try await controller.send("SET", "greeting", "hello")
            let connection = try await RedisConnection.connect(to: RedisEndpoint(url: server.url))
            let written = connection.channel.eventLoop.makePromise(of: Void.self)
            try await connection.channel.eventLoop.submit {
                let signal = FirstWriteSignal(written)
                try connection.channel.pipeline.syncOperations.addHandler(signal, position: .first)
            }.get()

            // Hold every other client's commands for 1 s, so the GET is certainly unanswered when close starts.
            let clock = ContinuousClock()
            let pausedAt = clock.now
            #expect(try await controller.send("CLIENT", "PAUSE", 1000, "ALL").string == "OK")
            async let reply = connection.send("GET", "greeting")
            try await written.futureResult.get()
            let writtenAfter = pausedAt.duration(to: clock.now)
            try #require(writtenAfter < .milliseconds(800), "GET written only \(writtenAfter) into the pause")
            await connection.close()
            let closedAfter = pausedAt.duration(to: clock.now)

            let value = try await reply
            #expect(value.string == "hello")
            // The server answers nothing before the pause ends, so an honest close cannot return earlier.
            #expect(closedAfter >= .milliseconds(900), "close returned \(closedAfter) into a 1 s pause")
            #expect(!connection.isActive)
            let error = await #expect(throws: RedisError.self) { try await connection.send("GET", "greeting") }
            #expect(error?.kind == "shutdown" || error?.kind == "connectionClosed", "\(String(describing: error))")
        }
    }

    @Test("Sends after close() fail with an error instead of waiting")
    func sendAfterCloseFails() async throws {
        try await withRedisServer { server in
            let connection = try await RedisConnection.connect(to: RedisEndpoint(url: server.url))
            #expect(try await connection.send("PING").string == "PONG")
            await connection.close()
            #expect(!connection.isActive)
            let clock = ContinuousClock()
            let start = clock.now
            await #expect(throws: RedisError.self) { try await connection.send("PING") }
            var encoder = RESPCommandEncoder()
            encoder.encode("PING")
            await #expect(throws: RedisError.self) { try await connection.pipeline(encoder) }
            #expect(start.duration(to: clock.now) < .seconds(1))
            // Closing again is harmless.
            await connection.close()
            await connection.closeNow()
        }
    }

    @Test("closeNow() fails a command in flight with connectionClosed")
    func closeNowFailsInFlightCommand() async throws {
        try await withObservedConnection { observer, connection in
            async let popped = connection.sendBlocking(RESPCommand("BLPOP", "q", 10), blockFor: .seconds(10))
            try await requireBlockedClients(1, on: observer)
            await connection.closeNow()
            do {
                let reply = try await popped
                Issue.record("BLPOP returned \(reply) although its connection was closed")
            } catch {
                #expect((error as? RedisError)?.kind == "connectionClosed", "\(error)")
            }
            #expect(!connection.isActive)
        }
    }
}
