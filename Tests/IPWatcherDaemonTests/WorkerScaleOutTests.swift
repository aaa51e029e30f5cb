import Detection
import Foundation
import IPWatcherDaemon
import IPWatcherTestSupport
import LocalRedis
import RedisClient
import SystemdNotify
import Testing
import Traffic

/// Several workers on one queue of one Redis: every entry is counted exactly once, and each block is
/// published once, by whichever worker's ban script added the unit to the set first.
@Suite("Workers: several on one queue", .needsRedisServer, .timeLimit(.minutes(10)), .loadsMachine)
struct WorkerScaleOutTests {
    static let addresses = 2_000
    static let hitsPerAddress = 30

    @Test("three workers drain one queue: exact counts per address, every bot blocked, one event per block")
    func threeWorkersShareOneQueue() async throws {
        try await withRedisServer(deadline: .seconds(100)) { server in
            let endpoint = try RedisEndpoint(url: server.url)
            let workers = (1...3).map { index in
                var settings = WorkerSettings.forTests
                settings.workerID = "scale-\(index)"
                settings.batchSize = 1_000
                settings.detection.singleRule.windowSeconds = 3600
                return IPWatcherWorker(
                    endpoint: endpoint, settings: settings,
                    redisConfiguration: RedisConnectionConfiguration(clientName: "ipwatcher-\(index)"),
                    logger: workerTestLogger, notifier: SystemdNotifier(enabled: false),
                    workerTag: "scale-\(index)-run", shutdownSignals: [])
            }
            let subscriber = try await ChannelSubscriber(port: try #require(server.port), channel: "ipwatcher:events")
            var entries: [String] = []
            for index in 0..<Self.addresses {
                entries += Array(repeating: "10.\(index / 250).\(index % 250).7", count: Self.hitsPerAddress)
            }
            var generator = SplitMix64(seed: 7)
            entries.shuffle(using: &generator)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in workers {
                    group.addTask { try await worker.run() }
                }
                try await withConnection(server.url) { redis in
                    for start in stride(from: 0, to: entries.count, by: 2_000) {
                        try await redis.push(Array(entries[start..<min(start + 2_000, entries.count)]))
                    }
                    try await waitUntil("the workers handle every entry", within: .seconds(60)) {
                        workers.map { $0.statistics.snapshot.counted }.reduce(0, +) >= entries.count
                    }
                    let shares = workers.map { $0.statistics.snapshot.counted }
                    print("three workers on one queue: entries counted per worker \(shares)")
                    #expect(shares.reduce(0, +) == entries.count, "\(shares)")

                    let counts = try await redis.countsPerUnit()
                    #expect(counts.count == Self.addresses)
                    #expect(counts.values.allSatisfy { $0 == Self.hitsPerAddress }, "an address counted other than 30 times")
                    #expect(try await redis.send("SCARD", "blocklist").int == Int64(Self.addresses))
                }
                var blocks = 0
                while let message = try await subscriber.nextMessage(within: .seconds(2)) {
                    if try PublishedEvent(json: message).event == "block" { blocks += 1 }
                }
                #expect(blocks == Self.addresses, "block events published")
                #expect(workers.map { $0.statistics.snapshot.blocked }.reduce(0, +) == Self.addresses)
                group.cancelAll()
                try? await group.waitForAll()
            }
        }
    }
}
