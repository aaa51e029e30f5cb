import Detection
import IPWatcherDaemon
import IPWatcherTestSupport
import RedisClient
import Testing

/// Sliding rules: fixed counters read as an estimate of the rolling count, shared with fixed rules.
@Suite("Worker: sliding rules", .needsRedisServer, .timeLimit(.minutes(10)))
struct WorkerSlidingTests {
    static let address = "198.51.100.98"

    static func settings(counters: CounterLayout) -> WorkerSettings {
        var settings = WorkerSettings.forTests
        settings.detection = DetectionSettings(
            rules: [
                DetectionRule(name: "fixed", mode: .fixed, threshold: 15, windowSeconds: 60),
                DetectionRule(name: "sliding", mode: .sliding, threshold: 15, windowSeconds: 60),
            ],
            banSeconds: 3600)
        settings.detection.counters = counters
        return settings
    }

    @Test(
        "a sliding rule shares its window's fixed counters: each request counted once, and only it blocks a straddling burst",
        arguments: [CounterLayout.keys, .buckets(count: 16)])
    func sharesFixedCountersAndCatchesTheStraddle(counters: CounterLayout) async throws {
        try await withWorker(Self.settings(counters: counters)) { run in
            let subscriber = try await ChannelSubscriber(port: try #require(run.server.port), channel: "ipwatcher:events")
            let b = WorkerWindowStraddleTests.boundary(near: nowMilliseconds())
            let times = (1...10).map { b - Int64($0) } + (0..<10).map { b + Int64($0) }
            try await run.redis.push(times.map { "\(Self.address) \($0)" })
            let totals = try await run.waitUntilHandled(20)
            #expect(totals.counted == 20 && totals.stale == 0, "\(totals)")

            let message = try #require(try await subscriber.nextMessage(within: .seconds(5)), "missing block event")
            let event = try PublishedEvent(json: message)
            #expect(event.rule == "sliding" && event.mode == "sliding")
            #expect(event.count == 19, "10 + 10 × (60 000 − 9)/60 000 rounded down")
            #expect(try await run.redis.isMember(Self.address, of: "blocklist"))
            #expect(run.totals.rules["fixed"]?.crossings ?? 0 == 0, "each fixed window holds only 10")

            // One counter per window, each holding its 10: the sliding rule added nothing of its own.
            let index = b / 60_000
            for window in [index - 1, index] {
                let stored: Int? =
                    switch counters {
                    case .keys:
                        try await run.redis.send("GET", KeySchema().fixedCounterKey(
                            unitName: Self.address, windowSeconds: 60, windowIndex: window)).string.flatMap { Int($0) }
                    case .buckets(let count):
                        try await run.redis.send(
                            "HGET",
                            KeySchema().bucketKey(
                                windowSeconds: 60, windowIndex: window,
                                bucket: CounterLayout.bucket(ofName: Self.address, count: count)),
                            Self.address
                        ).string.flatMap { Int($0) }
                    }
                #expect(stored == 10, "window \(window)")
            }
            #expect(try await run.redis.allKeys(matching: "ipwatcher:rolling:*").isEmpty)
        }
    }

    @Test("a burst whose later half is popped first still blocks once its earlier half arrives, late")
    func laterHalfFirst() async throws {
        // The body may wait up to 40 s for the start of a minute before its own work.
        try await withWorker(Self.settings(counters: .keys), deadline: .seconds(90)) { run in
            // Judged within 30 s of the boundary, the late half weighs at least 5 beside the 10 after it. Start in
            // the first 20 s of a minute (waiting if need be), so that a worker slowed by a loaded machine is still
            // in time. Here, not before the worker: the wait at the load gate before it can last minutes.
            var now = nowMilliseconds()
            if now % 60_000 > 20_000 {
                try await Task.sleep(for: .milliseconds(60_000 - now % 60_000 + 100))
                now = nowMilliseconds()
            }
            let b = now / 60_000 * 60_000
            let subscriber = try await ChannelSubscriber(port: try #require(run.server.port), channel: "ipwatcher:events")
            // Pushed apart, so they are two batches: the half in the window from b, then the half before it.
            try await run.redis.push((0..<10).map { "\(Self.address) \(b + Int64($0))" })
            try await run.waitUntilHandled(10)
            #expect(try await !run.redis.isMember(Self.address, of: "blocklist"), "10 alone are under 15")
            try await run.redis.push((1...10).map { "\(Self.address) \(b - Int64($0))" })
            let totals = try await run.waitUntilHandled(20)
            #expect(totals.counted == 20 && totals.stale == 0, "\(totals)")

            // The late half weighs in the window after its own, which holds 10, at the worker's clock.
            let message = try #require(try await subscriber.nextMessage(within: .seconds(5)), "missing block event")
            let event = try PublishedEvent(json: message)
            let at = try #require(event.at)
            #expect(at < b + 30_000, "judged too late for the test's arithmetic: \(at - b) ms after the boundary")
            #expect(event.rule == "sliding" && event.count == 10 + Int(10 * (b + 60_000 - at) / 60_000))
            #expect(try await run.redis.isMember(Self.address, of: "blocklist"))
        }
    }

    @Test("a unit under the threshold in both windows is left alone however the estimate weighs them")
    func quietUnitStaysUnblocked() async throws {
        try await withWorker(Self.settings(counters: .keys)) { run in
            let b = WorkerWindowStraddleTests.boundary(near: nowMilliseconds())
            // 7 + 7: at most 13 even at full weight.
            let times = (1...7).map { b - Int64($0) } + (0..<7).map { b + Int64($0) }
            try await run.redis.push(times.map { "\(Self.address) \($0)" })
            try await run.waitUntilHandled(14)
            #expect(try await !run.redis.isMember(Self.address, of: "blocklist"))
            #expect(run.totals.rules["sliding"]?.crossings ?? 0 == 0)
        }
    }
}
