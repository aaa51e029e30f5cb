import Detection
@testable import IPWatcherDaemon
import IPWatcherTestSupport
import RedisClient
import SystemdNotify
import Testing

/// ``BatchRecovery`` driven directly, without the consumer loop: what it counts, what it releases and which
/// worker's batches it may take, against a real redis-server.
@Suite("Batch recovery and lease takeover", .needsRedisServer, .timeLimit(.minutes(10)))
struct BatchRecoveryTests {
    static let keys = KeySchema()

    static func settings(workerID: String, lease: Duration?) -> WorkerSettings {
        var settings = WorkerSettings.forTests
        settings.workerID = workerID
        settings.lease = lease
        settings.detection.singleRule.windowSeconds = 3600
        return settings
    }

    /// A recovery of `settings.workerID`'s hashes on `router`, the committer it writes with, and the statistics.
    static func recovery(_ settings: WorkerSettings, on router: RedisRouter)
        -> (recovery: BatchRecovery, committer: BatchCommitter, processor: BatchProcessor, statistics: WorkerStatistics)
    {
        let statistics = WorkerStatistics()
        let own = ProcessingQueuePopper(client: router, settings: settings, runTag: "recovery-test")
        let recovery = BatchRecovery(
            own: own, client: router, settings: settings, live: LiveDetectionSettings(settings.detection),
            runTag: "recovery-test", logger: workerTestLogger)
        let committer = BatchCommitter(
            settings: settings, statistics: statistics, progress: WatchdogProgress(),
            backoff: router.configuration.backoff, logger: workerTestLogger,
            refusalLog: RateLimitedLogger(logger: workerTestLogger, limit: 1, interval: .seconds(60)))
        let processor = BatchProcessor(
            client: router, settings: settings, statistics: statistics, logger: workerTestLogger)
        return (recovery, committer, processor, statistics)
    }

    /// Runs ``BatchRecovery/recoverOwn(with:committer:)`` to its end and returns how many entries it recovered.
    static func recoverOwn(_ settings: WorkerSettings, url: String) async throws -> Int {
        try await withRouter(url) { router in
            let (recovery, committer, prepared, statistics) = Self.recovery(settings, on: router)
            var processor = prepared
            #expect(await recovery.recoverOwn(with: &processor, committer: committer))
            return statistics.snapshot.recovered
        }
    }

    @Test("this worker's unfinished batches are counted once and released; an unreadable one is dropped")
    func recoversOwnBatches() async throws {
        let settings = Self.settings(workerID: "crashed", lease: nil)
        let hash = Self.keys.processingKey(workerID: "crashed")
        try await withRedisConnection { server, redis in
            try await redis.storeBatch(Array(repeating: "198.51.100.7", count: 5), named: "old-1", in: hash)
            try await redis.storeBatch(["192.0.2.1", "192.0.2.2"], named: "old-2", in: hash)
            _ = try await redis.send("HSET", hash, "old-3", "not msgpack").throwingServerError()
            #expect(try await Self.recoverOwn(settings, url: server.url) == 7)
            #expect(try await redis.counterTotal() == 7)
            #expect(try await redis.allKeys(matching: hash) == [])
            // Nothing left to recover: a second run counts nothing more.
            #expect(try await Self.recoverOwn(settings, url: server.url) == 0)
            #expect(try await redis.counterTotal() == 7)
        }
    }

    @Test("the batches of a worker whose lease ran out are taken over and the worker forgotten; a live one's stay")
    func takesOverExpiredLeasesOnly() async throws {
        let settings = Self.settings(workerID: "alive", lease: .seconds(30))
        let deadHash = Self.keys.processingKey(workerID: "dead")
        let otherHash = Self.keys.processingKey(workerID: "other")
        try await withRedisConnection { server, redis in
            try await redis.storeBatch(["203.0.113.1", "203.0.113.2", "203.0.113.3"], named: "d-1", in: deadHash)
            try await redis.storeBatch(["203.0.113.9"], named: "o-1", in: otherHash)
            // "dead" last renewed long ago; "other" holds a lease far in the future (Unix ms).
            _ = try await redis.send("HSET", Self.keys.workersKey, "dead", "1", "other", "99999999999999")
                .throwingServerError()
            try await withRouter(server.url) { router in
                let (recovery, committer, prepared, statistics) = Self.recovery(settings, on: router)
                var processor = prepared
                await recovery.takeOverExpiredLeases(with: &processor, committer: committer)
                #expect(statistics.snapshot.recovered == 3)
            }
            #expect(try await redis.counterTotal() == 3)
            #expect(try await redis.allKeys(matching: deadHash) == [])
            #expect(try await redis.allKeys(matching: otherHash) == [otherHash])
            let workers = try await redis.send("HKEYS", Self.keys.workersKey).array?.compactMap(\.string) ?? []
            #expect(workers == ["other"])
        }
    }
}
