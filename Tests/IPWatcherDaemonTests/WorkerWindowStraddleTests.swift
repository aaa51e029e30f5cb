import Detection
import IPWatcherDaemon
import IPWatcherTestSupport
import RedisClient
import Testing

/// A burst that straddles a fixed-window boundary: the rolling window sees all of it, the sliding estimate nearly
/// all, fixed windows see it split.
@Suite("Worker: burst straddling a fixed-window boundary", .needsRedisServer, .timeLimit(.minutes(10)))
struct WorkerWindowStraddleTests {
    static let window: Int64 = 60_000
    static let address = "198.51.100.99"

    /// A boundary `b` between two fixed windows of ``window`` ms near `now`, chosen so that the 20 event times
    /// b-10 … b-1 (ten, at the end of the window before `b`) and b … b+9 (ten, at the start of the window from `b`)
    /// are all neither stale nor in the future when the worker judges them a little later, at `nowW ≥ now`.
    ///
    /// With W = 60 000 ms, latency L = nowW - now (a few ms here), stale meaning `t < nowW - W` and future meaning
    /// `t > nowW + 5000`:
    /// - If `now` lies more than 4 s before the end of its window, `b` is that window's start:
    ///   `now - (W - 4000) < b ≤ now`. The earliest event, b-10, is not stale as long as
    ///   L ≤ W - (now - b) - 10, which is at least 3990 ms and on average about 30 s; the latest, b+9 ≤ now + 9,
    ///   is not in the future.
    /// - Otherwise (the last 4 s of its window) `b` is the next window's start: `now < b ≤ now + 4000`. The
    ///   earliest event, b-10 > now - 10, is far from stale, and the latest, b+9 ≤ now + 4009 < nowW + 5000, is
    ///   not in the future.
    /// Either way the rolling window (the last W ms before nowW, plus events ahead of nowW) holds all 20 events,
    /// while fixed windows `b/W - 1` and `b/W` hold 10 each. The test checks the worker's own verdict (20 counted,
    /// none stale or refused) before it looks at the outcome, so a broken assumption cannot pass unnoticed.
    static func boundary(near now: Int64) -> Int64 {
        let start = now / window * window
        return start + window - now > 4000 ? start : start + window
    }

    @Test(
        "10 hits at the end of one fixed window and 10 at the start of the next: rolling and sliding block, fixed does not",
        arguments: DetectionRule.Mode.allCases)
    func straddlingBurst(mode: DetectionRule.Mode) async throws {
        var settings = WorkerSettings.forTests(mode: mode)
        settings.detection.singleRule.threshold = 15
        settings.detection.singleRule.windowSeconds = Int(Self.window / 1000)
        try await withWorker(settings) { run in
            let now = nowMilliseconds()
            let b = Self.boundary(near: now)
            let times = (1...10).map { b - Int64($0) } + (0..<10).map { b + Int64($0) }
            try await run.redis.push(times.map { "\(Self.address) \($0)" })
            let totals = try await run.waitUntilHandled(20)

            // Every event was current: the arithmetic above held.
            #expect(totals.counted == 20, "now \(now), boundary \(b), totals \(totals)")
            #expect(totals.stale == 0)
            #expect(totals.rejectedTotal == 0)

            switch mode {
            case .rolling:
                #expect(try await run.redis.isMember(Self.address, of: "blocklist"), "20 events within one window must block")
                let kept = try await run.redis.rollingEvents(at: "ipwatcher:rolling:\(Self.window / 1000):\(Self.address)").count
                #expect(kept == 16, "the rolling log keeps threshold+1 events")
            case .sliding:
                // At b+9 the 10 of the window before weigh (W − 9)/W: 9 after rounding down, beside 10.
                #expect(try await run.redis.isMember(Self.address, of: "blocklist"), "an estimate of 19 must block")
            case .fixed:
                #expect(try await !run.redis.isMember(Self.address, of: "blocklist"), "each fixed window holds only 10")
                let index = b / Self.window
                let before = try await run.redis.send("GET", "ipwatcher:fixed:60:\(index - 1):\(Self.address)").int
                let after = try await run.redis.send("GET", "ipwatcher:fixed:60:\(index):\(Self.address)").int
                #expect(before == 10)
                #expect(after == 10)
            }
        }
    }
}
