import Detection
import IPWatcherDaemon
import IPWatcherTestSupport
import RedisClient
import Testing

/// The core rule: a unit with `threshold` requests in a window is written to the blocklist set, one fewer is not.
@Suite("Worker: threshold", .needsRedisServer, .timeLimit(.minutes(10)))
struct WorkerThresholdTests {
    @Test("15 hits of one address in a window block it; 14 hits of another do not", arguments: DetectionRule.Mode.allCases)
    func fifteenHitsBlockFourteenDoNot(mode: DetectionRule.Mode) async throws {
        try await withWorker(.forTests(mode: mode)) { run in
            // Interleaved in one push, so both addresses share one batch and one clock reading.
            var entries: [String] = []
            for index in 0..<15 {
                entries.append("198.51.100.7")
                if index < 14 { entries.append("198.51.100.8") }
            }
            try await run.redis.push(entries)
            let totals = try await run.waitUntilHandled(29)

            #expect(try await run.redis.isMember("198.51.100.7", of: "blocklist"))
            #expect(try await !run.redis.isMember("198.51.100.8", of: "blocklist"))
            #expect(try await run.redis.members(of: "blocklist") == ["198.51.100.7"])
            #expect(totals.counted == 29)
            #expect(totals.blocked == 1)
            #expect(totals.rejectedTotal == 0)
        }
    }

    @Test("14 hits of a single address leave the blocklist empty", arguments: DetectionRule.Mode.allCases)
    func fourteenHitsAloneDoNotBlock(mode: DetectionRule.Mode) async throws {
        try await withWorker(.forTests(mode: mode)) { run in
            try await run.redis.push(hits("203.0.113.50", 14))
            let totals = try await run.waitUntilHandled(14)
            #expect(totals.counted == 14)
            #expect(try await run.redis.send("SCARD", "blocklist").int == 0)
            #expect(totals.blocked == 0)
        }
    }

    @Test("hits arriving in separate batches add up to the threshold", arguments: DetectionRule.Mode.allCases)
    func hitsInSeparateBatchesAddUp(mode: DetectionRule.Mode) async throws {
        try await withWorker(.forTests(mode: mode)) { run in
            // One event time for all 15 hits, so they fall into one fixed window however long the pushes take.
            let eventTime = nowMilliseconds()
            for (round, count) in [5, 5, 4].enumerated() {
                try await run.redis.push(hits("192.0.2.33 \(eventTime)", count))
                try await run.waitForTotals("round \(round + 1) is written") { $0.counted == [5, 10, 14][round] }
            }
            #expect(try await !run.redis.isMember("192.0.2.33", of: "blocklist"), "14 hits must not block yet")
            try await run.redis.push(["192.0.2.33 \(eventTime)"])
            try await run.waitForTotals("the 15th hit is written") { $0.counted == 15 }
            #expect(try await run.redis.isMember("192.0.2.33", of: "blocklist"))
            #expect(run.totals.batches >= 4, "the hits were meant to arrive in four batches")
        }
    }

    @Test("a lower configured threshold blocks earlier", arguments: DetectionRule.Mode.allCases)
    func configuredThresholdIsUsed(mode: DetectionRule.Mode) async throws {
        var settings = WorkerSettings.forTests(mode: mode)
        settings.detection.singleRule.threshold = 3
        try await withWorker(settings) { run in
            try await run.redis.push(hits("198.51.100.3", 3) + hits("198.51.100.2", 2))
            try await run.waitUntilHandled(5)
            #expect(try await run.redis.members(of: "blocklist") == ["198.51.100.3"])
        }
    }
}
