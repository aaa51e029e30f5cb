import Detection
import IPWatcherTestSupport
import IPWatcherWeb
import LocalRedis
import RESP
import RedisClient
import Testing

/// The web tier's recorder against a real redis-server: what lands in the queue, per shard, and what happens
/// while Redis is away.
@Suite("AddressRecorder against a real redis-server", .needsRedisServer, .timeLimit(.minutes(10)), .measuresTime)
struct AddressRecorderTests {
    /// Runs `body` with a recorder pushing to `server` (through `proxy` if given) through a running router, and a
    /// connection of the test's own to the server to read back.
    static func withRecorder(
        _ server: LocalRedisServer, through proxy: FaultProxy? = nil, settings: AddressRecorder.Settings = .init(),
        _ body: @escaping @Sendable (AddressRecorder, RedisConnection) async throws -> Void
    ) async throws {
        // Short timeouts: a flush while Redis is down fails within a second instead of five.
        let configuration = RedisConnectionConfiguration(connectTimeout: .milliseconds(500), commandTimeout: .seconds(1))
        let router = RedisRouter(
            endpoint: try RedisEndpoint(url: proxy?.redisURL ?? server.url), clusterSeeds: nil, configuration: configuration,
            logger: .init(label: "test"))
        let recorder = AddressRecorder(router: router, settings: settings)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await router.run() }
            defer { group.cancelAll() }
            try await withConnection(server.url) { try await body(recorder, $0) }
        }
    }

    @Test("a flush pushes every recorded address with its time, in recording order")
    func flushPushesEntriesWithTimes() async throws {
        try await withRedisServer { server in
            try await Self.withRecorder(server, settings: .init(batchSize: 7)) { recorder, redis in
                let addresses = (1...50).map { IPAddress.v4(0xC633_6400 + UInt32($0)) } + [IPAddress("2001:db8::1")!]
                for (index, address) in addresses.enumerated() {
                    recorder.record(address, atMilliseconds: 1_700_000_000_000 + Int64(index))
                }
                #expect(await recorder.flush())
                // LPUSH puts the newest first: reversed, the list is the recording order.
                let queued = try await redis.send("LRANGE", "ips", 0, -1).array.map { Array($0) } ?? []
                let expected = addresses.enumerated().map { "\($1) \(1_700_000_000_000 + Int64($0))" }
                #expect(queued.compactMap(\.string).reversed() == expected)
                let statistics = recorder.statistics
                #expect(statistics.recorded == 51 && statistics.pushed == 51 && statistics.buffered == 0)
                #expect(statistics.dropped == 0 && statistics.failedFlushes == 0)
            }
        }
    }

    @Test("with queue shards each address goes to the shard QueueShards picks for it, as the worker reads them")
    func shardedQueue() async throws {
        try await withRedisServer { server in
            let shards = QueueShards(baseKey: "ips", count: 4)
            try await Self.withRecorder(server, settings: .init(queue: shards)) { recorder, redis in
                let addresses = (1...200).map { IPAddress.v4(0x0A00_0000 + UInt32($0)) }
                for address in addresses { recorder.record(address, atMilliseconds: 5) }
                #expect(await recorder.flush())
                var total = 0
                for shard in 0..<shards.count {
                    let entries = try await redis.send("LRANGE", shards.key(ofShard: shard), 0, -1).array.map { Array($0) } ?? []
                    for entry in entries.compactMap(\.string) {
                        #expect(shards.shard(forEntry: entry) == shard, "\(entry) in shard \(shard)")
                    }
                    total += entries.count
                }
                #expect(total == addresses.count)
                #expect(try await redis.send("EXISTS", "ips").int == 0)
            }
        }
    }

    @Test("a flush returns only after a flush already under way has counted what it took")
    func flushWaitsForFlushUnderWay() async throws {
        try await withRedisServer { server in
            try await Self.withRecorder(server) { recorder, redis in
                for round in 1...20 {
                    for index in 0..<50 { recorder.record(.v4(UInt32(round * 1000 + index))) }
                    // The first flush takes the 50; the second finds the buffer empty and must still wait for them.
                    async let first = recorder.flush()
                    async let second = recorder.flush()
                    let secondResult = await second
                    #expect(secondResult && recorder.statistics.pushed == round * 50, "round \(round)")
                    #expect(await first)
                }
                let queued = try await redis.send("LLEN", "ips").int
                #expect(queued == 1000)
            }
        }
    }

    @Test("run() flushes by itself every flush interval")
    func runFlushesPeriodically() async throws {
        try await withRedisServer { server in
            try await Self.withRecorder(server, settings: .init(flushInterval: .milliseconds(5))) { recorder, redis in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await recorder.run() }
                    defer { group.cancelAll() }
                    for round in 1...3 {
                        for index in 0..<100 { recorder.record(.v4(UInt32(round * 1000 + index))) }
                        try await waitUntil("round \(round) is in the queue") {
                            try await redis.send("LLEN", "ips").int == Int64(round * 100)
                        }
                    }
                }
                #expect(recorder.statistics.pushed == 300)
            }
        }
    }

    @Test("Redis away: records never wait, a full buffer drops and counts, and everything kept arrives once Redis is back")
    func redisAwayKeepsWhatFitsAndResumes() async throws {
        try await withRedisServer(.persistent) { server in
            try await Self.withRecorder(server, settings: .init(capacity: 1000)) { recorder, _ in
                await server.kill()
                let clock = ContinuousClock()
                let started = clock.now
                for index in 0..<1200 { recorder.record(.v4(UInt32(index)), atMilliseconds: 1) }
                // 1,200 records into a full buffer take microseconds, not a connect timeout.
                #expect(started.duration(to: clock.now) < .milliseconds(200))
                #expect(await recorder.flush() == false)
                let whileDown = recorder.statistics
                #expect(whileDown.recorded == 1000)
                #expect(whileDown.dropped == 200)
                #expect(whileDown.failedFlushes == 1)
                #expect(whileDown.buffered == 1000)

                try await server.restart()
                try await waitUntil("a flush succeeds once Redis is back", within: .seconds(20)) {
                    await recorder.flush()
                }
                let fresh = try await withConnection(server.url) { try await $0.send("LLEN", "ips").int }
                #expect(fresh == 1000)
                #expect(recorder.statistics.pushed == 1000)
                #expect(recorder.statistics.buffered == 0)
            }
        }
    }

    @Test("through a bad network (latency 50 ± 10 ms, then a 3 s partition): records never wait, and every address arrives, held pushes at most twice")
    func badNetwork() async throws {
        try await withRedisServer { server in
            try await withFaultProxy(upstreamPort: try #require(server.port)) { proxy in
                try await Self.withRecorder(server, through: proxy) { recorder, redis in
                  try await withThrowingTaskGroup(of: Void.self) { flushing in
                    flushing.addTask { await recorder.run() }
                    defer { flushing.cancelAll() }
                    let clock = ContinuousClock()
                    proxy.latency(mean: .milliseconds(50), jitter: .milliseconds(10))
                    var slowest = Duration.zero
                    for index in 0..<5_000 {
                        let started = clock.now
                        recorder.record(.v4(UInt32(index)), atMilliseconds: 1)
                        slowest = max(slowest, clock.now - started)
                        if index % 500 == 0 { try await Task.sleep(for: .milliseconds(20)) }
                    }
                    try await waitUntil("the first 5,000 are pushed under latency", within: .seconds(20)) {
                        recorder.statistics.pushed >= 5_000
                    }
                    proxy.clear()

                    proxy.partition()
                    let partitionedAt = clock.now
                    for index in 5_000..<10_000 {
                        let started = clock.now
                        recorder.record(.v4(UInt32(index)), atMilliseconds: 1)
                        slowest = max(slowest, clock.now - started)
                    }
                    try await Task.sleep(until: partitionedAt.advanced(by: .seconds(3)))
                    let failedDuring = recorder.statistics.failedFlushes
                    proxy.heal()
                    let healedAt = clock.now
                    try await waitUntil("every address is pushed after the heal", within: .seconds(20)) {
                        recorder.statistics.pushed >= 10_000 && recorder.statistics.buffered == 0
                    }
                    let pushedAfter = clock.now - healedAt
                    // Pushes held by the partition reach Redis on the heal after the recorder sent them again.
                    try await waitUntil("every upstream connection is settled", within: .seconds(10)) {
                        proxy.counters.upstreamConnectionsOpen <= 1
                    }
                    let queued = try await redis.listContents("ips")
                    let distinct = Set(queued.map { $0.split(separator: " ").first.map(String.init) ?? $0 })
                    #expect(distinct.count == 10_000, "addresses lost: \(10_000 - distinct.count)")
                    #expect(queued.count - 10_000 <= 5_000, "more duplicates than the partition held")
                    #expect(recorder.statistics.dropped == 0)
                    #expect(failedDuring >= 1, "no flush failed during the partition")
                    // A record appends to a buffer under a lock; the bound is loose for a loaded machine.
                    #expect(slowest < .milliseconds(50), "a record waited \(slowest)")
                    print(
                        "bad network (recorder): slowest record \(slowest); after a 3 s partition all pushed "
                            + "\(pushedAfter) after the heal; \(queued.count - 10_000) duplicates; "
                            + "\(failedDuring) failed flushes during it")
                  }
                }
            }
        }
    }
}
