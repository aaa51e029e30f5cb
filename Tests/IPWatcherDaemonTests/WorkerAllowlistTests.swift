import Detection
import IPWatcherDaemon
import IPWatcherTestSupport
import RedisClient
import Testing

/// Allowlisted networks (loopback by default) are never counted or blocked.
@Suite("Worker: allowlist", .needsRedisServer, .timeLimit(.minutes(10)))
struct WorkerAllowlistTests {
    @Test("loopback is allowlisted by default: 50 hits of 127.0.0.1 are neither counted nor blocked",
        arguments: DetectionRule.Mode.allCases)
    func loopbackIsNeverBlocked(mode: DetectionRule.Mode) async throws {
        try await withWorker(.forTests(mode: mode)) { run in
            let loopback = hits("127.0.0.1", 50) + hits("::1", 20) + hits("::ffff:127.0.0.1", 20) + hits("127.8.9.10", 20)
            try await run.redis.push(loopback)
            let totals = try await run.waitUntilHandled(loopback.count)
            #expect(totals.allowlisted == loopback.count)
            #expect(totals.counted == 0)
            #expect(totals.blocked == 0)
            #expect(try await run.redis.send("SCARD", "blocklist").int == 0)
            // Not counted means no counter was even created.
            try await run.waitUntilBatchesReleased()
            #expect(try await run.redis.allKeys(matching: "ipwatcher:*") == [])
        }
    }

    @Test("a configured allowlist exempts its networks while other units are still blocked",
        arguments: DetectionRule.Mode.allCases)
    func customAllowlist(mode: DetectionRule.Mode) async throws {
        var settings = WorkerSettings.forTests(mode: mode)
        settings.detection.singleRule.allowlist = [
            try #require(IPNetwork("10.0.0.0/8")), try #require(IPNetwork("2001:db8:ffff::/48")),
        ]
        try await withWorker(settings) { run in
            let exempt = hits("10.1.2.3", 20) + hits("::ffff:10.200.0.1", 20) + hits("2001:db8:ffff:1::5", 20)
            let counted = hits("11.0.0.1", 20) + hits("2001:db8:fffe::1", 20)
            try await run.redis.push(exempt + counted)
            let totals = try await run.waitUntilHandled(exempt.count + counted.count)
            #expect(totals.allowlisted == exempt.count)
            #expect(totals.counted == counted.count)
            #expect(try await run.redis.members(of: "blocklist") == ["11.0.0.1", "2001:db8:fffe::/64"].sorted())
        }
    }
}
