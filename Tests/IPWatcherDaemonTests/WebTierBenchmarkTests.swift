import Benchmark
import IPWatcherTestSupport
import RESP
import RedisClient
import Testing

/// `ipwatcher bench web`'s measurements in-process, small: the mirror loads every unit, the recorder's entries
/// all reached the queue (the benchmark checks `LLEN` itself), and the benchmark leaves no key behind.
@Suite("Web-tier benchmark, in-process", .needsRedisServer, .timeLimit(.minutes(10)))
struct WebTierBenchmarkTests {
    @Test("every measurement runs, the mirror holds every unit, and the bench:web keys are gone afterwards")
    func measuresAndCleansUp() async throws {
        try await withRedisConnection { server, redis in
            _ = try await redis.send("SET", "unrelated", "stays")
            let benchmark = WebTierBenchmark(recorded: 5_000, units: 2_000, lookups: 2_000, events: 20)
            let report = try await benchmark.run(endpoint: try RedisEndpoint(url: server.url))
            #expect(report.recorderRate > 0)
            #expect(report.mirrorUnitsLoaded == 2_000)
            #expect(report.lookupNanoseconds.p50 > 0 && report.lookupNanoseconds.p99 >= report.lookupNanoseconds.p50)
            #expect(report.stalenessMilliseconds.p50 > 0)
            #expect(try await redis.send("KEYS", "bench:web:*").array?.count == 0)
            #expect(try await redis.send("GET", "unrelated").string == "stays")
        }
    }
}
