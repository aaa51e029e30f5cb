import IPWatcherTestSupport
import LocalRedis
import RESP
import RedisClient
import Testing

/// Pipelines of 100,000 commands and more. Each test runs its connection on an event loop of its own, and the
/// suite is serialized, so even a client that is slow with such pipelines cannot starve other tests' connections.
@Suite(
    "Large pipelines against a real redis-server", .serialized, .needsRedisServer, .timeLimit(.minutes(10)),
    .measuresTime)
struct LargePipelineIntegrationTests {
    @Test("A 100,000-command pipeline is answered well within 10 s: collecting replies takes linear time")
    func largePipelineCompletesInLinearTime() async throws {
        try await withRedisServer { server in
            // Own event loop: if reply collection were slow, it must not stall other tests' connections.
            try await withDedicatedEventLoop { eventLoopGroup in
                let connection = try await RedisConnection.connect(
                    to: RedisEndpoint(url: server.url), eventLoopGroup: eventLoopGroup)
                var encoder = RESPCommandEncoder()
                for _ in 0..<100_000 { encoder.encode("INCR", "large") }
                let clock = ContinuousClock()
                let start = clock.now
                do {
                    let replies = try await connection.pipeline(encoder, timeout: .seconds(10))
                    #expect(replies.count == 100_000)
                    #expect(replies.last?.int == 100_000)
                } catch {
                    Issue.record("100,000 INCRs in one pipeline: \(error) after \(start.duration(to: clock.now))")
                }
                await connection.closeNow()
            }
        }
    }

    @Test("Killing the server while a 200,000-command pipeline is in flight fails the pipeline with connectionClosed")
    func killDuringPipelineFailsIt() async throws {
        try await withRedisConnection { server, observer in
            try await withDedicatedEventLoop { eventLoopGroup in
                let connection = try await RedisConnection.connect(
                    to: RedisEndpoint(url: server.url), eventLoopGroup: eventLoopGroup)
                // 100,000 INCRs are answered, then the server parks the client on BLPOP with 99,999 more
                // commands unread in its query buffer: the pipeline is provably in flight, half answered,
                // when the kill comes.
                var encoder = RESPCommandEncoder()
                for _ in 0..<100_000 { encoder.encode("INCR", "pipelined") }
                encoder.encode("BLPOP", "never-filled", 15)
                for _ in 0..<99_999 { encoder.encode("INCR", "pipelined") }
                #expect(encoder.commandCount == 200_000)
                let pipeline = encoder

                let clock = ContinuousClock()
                let (outcome, killedAt, endedAt) = try await withThrowingTaskGroup(
                    of: (Result<[RESPToken], any Error>, ContinuousClock.Instant).self
                ) { group in
                    group.addTask {
                        do {
                            let replies = try await connection.pipeline(pipeline, timeout: .seconds(30))
                            return (.success(replies), clock.now)
                        } catch {
                            return (.failure(error), clock.now)
                        }
                    }
                    try #require(
                        await eventually(within: .seconds(10)) {
                            let counter = try await observer.send("GET", "pipelined").int
                            let blocked = try await blockedClientCount(observer)
                            return counter == 100_000 && blocked == 1
                        }, "the first half of the pipeline never ran")
                    let killedAt = clock.now
                    await server.kill()
                    let (outcome, endedAt) = try #require(await group.next())
                    return (outcome, killedAt, endedAt)
                }
                #expect(!server.isRunning)
                switch outcome {
                case .success(let replies):
                    Issue.record("the pipeline succeeded with \(replies.count) replies; the server was killed")
                case .failure(let error):
                    #expect((error as? RedisError)?.kind == "connectionClosed", "\(error)")
                }
                let delay = killedAt.duration(to: endedAt)
                #expect(delay < .seconds(3), "the pipeline failed only \(delay) after the kill")
                #expect(try await eventually(within: .seconds(2)) { !connection.isActive })
                await #expect(throws: RedisError.self) { try await connection.send("PING") }
                await connection.closeNow()
            }
        }
    }
}
