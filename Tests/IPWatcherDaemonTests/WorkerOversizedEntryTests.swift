import Detection
@testable import IPWatcherDaemon
import NIOCore
import RESP
import RedisClient
import Testing
import IPWatcherTestSupport

/// Entries far over the 256-byte limit are cut short inside Redis by the pop scripts, so the worker never holds
/// them: with the connection limits `ipwatcher run` uses, eight 16 MiB entries among valid ones leave the valid ones
/// counted, the long ones refused as too long (a 257-byte copy in the dead-letter list), and the daemon's peak
/// resident memory where it was. Before the scripts cut them, those entries reached the worker whole: its peak grew
/// by about 500 MiB.
@Suite("Worker: entries of megabytes", .needsRedisServer, .timeLimit(.minutes(10)), .loadsMachine)
struct WorkerOversizedEntryTests {
    static let longCount = 8
    static let longBytes = 16 << 20
    static let validCount = 2_000
    static let rejectedKey = "rejected"

    /// A command timeout for this suite's own connections that outlasts Redis moving 128 MiB through Lua: half
    /// a second on an idle machine, and in CI, beside a hundred other tests on two cores, more than the default
    /// 5 s. A command that timed out closes its connection, and every later command on it fails.
    static let patience = RedisConnectionConfiguration(commandTimeout: .seconds(90))

    /// Pushes the valid entries, then the long ones, inside Redis, so the test's own connection never carries the
    /// long entries. The long ones go last: with left pops a blocked worker is woken by one of them.
    static func pushEntries(url: String, queueKey: String = "ips") async throws {
        try await withConnection(url, configuration: patience) { redis in try await pushEntries(redis, queueKey: queueKey) }
    }

    /// ``pushEntries(url:queueKey:)`` on a connection the caller made with ``patience``.
    static func pushEntries(_ redis: RedisConnection, queueKey: String = "ips") async throws {
        let pushed = try await redis.send(
            "EVAL",
            """
            for i = 1, tonumber(ARGV[3]) do redis.call('LPUSH', KEYS[1], '192.0.2.' .. (i % 200)) end
            local long = string.rep('x', tonumber(ARGV[2]))
            for i = 1, tonumber(ARGV[1]) do redis.call('LPUSH', KEYS[1], long) end
            return redis.call('LLEN', KEYS[1])
            """, 1, queueKey, longCount, longBytes, validCount)
        #expect(pushed.int == Int64(longCount + validCount), "\(pushed)")
    }

    /// Waits until a worker's popping connection blocks on the empty queue.
    static func waitUntilBlocked(_ redis: RedisConnection) async throws {
        try await waitUntil("the worker blocks on the empty queue") {
            try await redis.clientList().contains { ["blmove", "blmpop"].contains($0["cmd"]) }
        }
    }

    /// Checks the dead-letter list: one 257-byte copy per long entry.
    static func expectCutDeadLetters(_ redis: RedisConnection) async throws {
        let letters = try await redis.send("LRANGE", rejectedKey, 0, -1).array?.compactMap(\.bytes) ?? []
        #expect(letters.count == longCount)
        let cut = ByteBuffer(repeating: UInt8(ascii: "x"), count: QueueEntryParser.maximumLength + 1)
        #expect(letters.allSatisfy { $0 == cut }, "dead letters of \(letters.map(\.readableBytes)) bytes")
    }

    @Test("in process: long entries are refused as too long, the valid ones counted, one refused blocking reply",
        arguments: [WorkerSettings.Delivery.atLeastOnce, .atMostOnce])
    func longEntriesAreRefusedAndValidOnesCounted(_ delivery: WorkerSettings.Delivery) async throws {
        var settings = WorkerSettings.forTests
        settings.delivery = delivery
        settings.rejectedKey = Self.rejectedKey
        // The product's reply limits, which the blocking pop's whole entry must trip; but the worker waits for a
        // reply as long as the test does, so a move script slowed by a loaded machine is no extra Redis error.
        var configuration = IPWatcherConfiguration(
            redis: .init(), queue: .init(), detection: .init(), blocklist: .init(), log: .init()
        ).redisConnectionConfiguration
        configuration.commandTimeout = Self.patience.commandTimeout
        try await withWorker(settings, redisConfiguration: configuration, deadline: .seconds(100)) { run in
            try await Self.waitUntilBlocked(run.redis)
            try await Self.pushEntries(url: run.server.url)
            let totals = try await run.waitUntilHandled(Self.longCount + Self.validCount, within: .seconds(60))
            #expect(totals.rejected == [.tooLong: Self.longCount], "\(totals)")
            #expect(totals.counted == Self.validCount, "\(totals)")
            // A blocking pop woken by a long entry gets it whole: refused from its header, then a reconnect. At most
            // once: on a loaded machine the pop may have timed out before the push, and the script took them cut.
            #expect(totals.redisErrors <= 1, "\(totals)")
            try await Self.expectCutDeadLetters(run.redis)
            #expect(try await run.redis.send("LLEN", "ips").int == 0)
        }
    }

    @Test("ipwatcher run: eight 16 MiB entries raise the daemon's peak resident memory by less than one of them",
        arguments: ["at-least-once", "at-most-once"])
    func daemonMemoryStaysBounded(_ delivery: String) async throws {
        try await withRedisServer(deadline: .seconds(100)) { server in
            try await withScratchDirectory { scratch in
                // The daemon waits for a reply as long as the test does: in CI Redis once took over the default 5 s
                // to move the 128 MiB through the pop script, and with at-most-once a pop whose reply never came
                // loses its batch (as documented), so the dead letters never arrived.
                let config = try scratch.write(
                    """
                    redis:
                      command_timeout: \(Int(Self.patience.commandTimeout.components.seconds))
                    queue:
                      block_timeout: 0.1
                      delivery: \(delivery)
                      rejected_key: \(Self.rejectedKey)
                    log:
                      level: info
                    """, to: "ipwatcher.yaml")
                try await withDaemon(["run", "--config", config, "--redis-url", server.url], in: scratch) { daemon in
                    let port = try await DaemonMetricsTests.loggedPort(of: daemon)
                    // A poll that timed out while Redis was busy with the long entries closed the connection, and
                    // every later poll failed (seen in CI): this one waits as long as the test does.
                    try await withConnection(server.url, configuration: Self.patience) { redis in
                        try await Self.waitUntilBlocked(redis)
                        let before = try #require(ResidentMemory.peak(pid: daemon.pid))
                        try await Self.pushEntries(redis)
                        do {
                            try await waitUntil("the dead-letter list holds the long entries", within: .seconds(60)) {
                                try await redis.send("LLEN", Self.rejectedKey).int == Int64(Self.longCount)
                            }
                        } catch {
                            let letters = try await redis.send("LLEN", Self.rejectedKey).int ?? -1
                            let queued = try await redis.send("LLEN", "ips").int ?? -1
                            let processing = try await redis.allKeys(matching: "ipwatcher:processing:*")
                            Issue.record("dead letters \(letters), queue \(queued), processing keys \(processing)")
                            throw error
                        }
                        let after = try #require(ResidentMemory.peak(pid: daemon.pid))
                        print("WorkerOversizedEntryTests \(delivery): VmHWM \(before >> 10) → \(after >> 10) KiB")
                        #expect(after - before < Self.longBytes, "peak resident memory grew by \(after - before) bytes")
                        try await Self.expectCutDeadLetters(redis)
                    }
                    try await waitUntil("the metrics show every entry handled") {
                        let samples = PrometheusSamples(try await HTTPTestClient.send("/metrics", port: port).body)
                        let tooLong = samples[#"ipwatcher_entries_rejected_total{reason="too_long"}"#]
                        return samples["ipwatcher_entries_processed_total"] == Double(Self.longCount + Self.validCount)
                            && tooLong == Double(Self.longCount)
                    }
                }
            }
        }
    }

    @Test("the move, read and pop scripts return an entry over 256 bytes as its first 257 and shorter ones whole",
        .timeLimit(.minutes(10)))
    func scriptsCutOnlyLongEntries() async throws {
        let cut = PopArguments.cutLength
        let exact = String(repeating: "e", count: QueueEntryParser.maximumLength)
        let long = String(repeating: "l", count: 1 << 20)
        let expected = ["192.0.2.1", exact, String(long.prefix(cut))]
        try await withRedisConnection { _, redis in
            func strings(_ reply: RESPToken) -> [String] { reply.array.map { $0.compactMap(\.string) } ?? [] }
            _ = try await redis.send("RPUSH", "q", "192.0.2.1", exact, long).throwingServerError()
            let moved = try await redis.send(
                "EVAL", ProcessingQueuePopper.takeScript.source, 3, "q", "processing", "landing", 10, "LEFT",
                "batch-1", cut
            ).throwingServerError()
            #expect(strings(moved) == expected)
            let read = try await redis.send(
                "EVAL", ProcessingQueuePopper.readScript.source, 1, "processing", "batch-1", cut
            ).throwingServerError()
            #expect(strings(read) == expected)
            // What the processing hash keeps is cut already: a 1 MiB entry costs Redis 257 bytes there too.
            let stored = try await redis.send("HSTRLEN", "processing", "batch-1").int ?? .max
            #expect(stored < 1024, "packed batch of \(stored) bytes")

            _ = try await redis.send("RPUSH", "q", "192.0.2.1", exact, long).throwingServerError()
            let popped = try await redis.send(
                "EVAL", QueuePopper.popScript.source, 1, "q", 10, "LEFT", cut
            ).throwingServerError()
            #expect(strings(popped) == expected)
            #expect(try await redis.send("LLEN", "q").int == 0)
        }
    }
}
