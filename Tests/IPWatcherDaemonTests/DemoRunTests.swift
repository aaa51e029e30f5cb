import Demo
import IPWatcherDaemon
import IPWatcherTestSupport
import RedisClient
import Synchronization
import Testing

/// The demo's run in-process against a private redis-server: what `ipwatcher demo` prints comes from here.
@Suite("Demo run, in-process", .needsRedisServer, .timeLimit(.minutes(10)))
struct DemoRunTests {
    @Test("a short mixed feed is drained by the worker, each block is announced once, and the report counts them")
    func shortFeedIsCaughtAndReported() async throws {
        try await withRedisServer(deadline: .seconds(90)) { server in
            var settings = WorkerSettings()
            settings.blockTimeout = .milliseconds(200)
            let demo = DemoRun(
                endpoint: try RedisEndpoint(url: server.url), clusterSeeds: nil, settings: settings, workers: 1,
                count: 3_000, rate: nil, seed: 7)
            let announced = Mutex<[String]>([])
            let outcome = try await demo.run(
                onBlock: { event in announced.withLock { $0.append(event.unit) } }, onProgress: { _ in })
            let totals = try #require(outcome.workerTotals.first)
            #expect(outcome.workerTotals.count == 1)
            #expect(totals.popped == 3_000)
            let report = try #require(outcome.feed.report)
            #expect(report.requests == 3_000)
            // On a fresh server every block is the worker's: the set, the events and the run's callback agree.
            let units = announced.withLock { $0 }
            #expect(totals.blocked == report.blocklistSize, "\(totals)")
            #expect(units.count == report.blockEvents)
            #expect(Set(units).count == units.count, "a unit was announced twice: \(units)")
            #expect(Set(report.caught.map(\.unit)).isSubset(of: Set(units)))
            #expect(!report.caught.isEmpty, "the mixed scenario's bots should cross 15 in 60 s")
        }
    }
}
