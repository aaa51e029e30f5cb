import IPWatcherDaemon
import IPWatcherTestSupport
import Testing

/// How many entries per second the worker gets through with 50 ms ± 10 ms of latency each way to Redis, by batch
/// size. It reports the rate (for the README's *A bad network*) and asserts only that every entry was counted:
/// a shared machine's speed is no property of the code.
@Suite("Worker: throughput under latency", .needsRedisServer, .timeLimit(.minutes(10)), .measuresTime)
struct WorkerLatencyThroughputTests {
    @Test("with 50 ms ± 10 ms each way, 20 batches are counted; the rate is reported", arguments: [10, 100, 1_000])
    func throughputUnderLatency(batch: Int) async throws {
        var settings = WorkerSettings.forTests
        settings.batchSize = batch
        settings.detection.singleRule.windowSeconds = 3600
        try await withWorker(settings, throughFaultProxy: true, deadline: .seconds(120)) { run in
            let proxy = try #require(run.proxy)
            // The first pop opens the worker's connections; only then the latency goes on, and the clock starts.
            try await run.redis.push(["192.0.2.1"])
            try await run.waitUntilHandled(1)
            proxy.latency(mean: .milliseconds(50), jitter: .milliseconds(10))
            let count = 20 * batch
            // Users only (4 hits each), so the rate is the counting's, without bans.
            let entries = (0..<count).map { "10.\($0 / 4 / 65_536 % 256).\($0 / 4 / 256 % 256).\($0 / 4 % 256)" }
            let clock = ContinuousClock()
            let start = clock.now
            try await run.redis.push(entries)
            try await run.waitUntilHandled(count + 1, within: .seconds(90))
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            #expect(run.totals.counted == count + 1)
            print("throughput under latency 50±10 ms: batch \(batch): \(count) entries in "
                + "\(String(format: "%.2f", seconds)) s = \(Int(Double(count) / seconds)) entries/s")
        }
    }
}
