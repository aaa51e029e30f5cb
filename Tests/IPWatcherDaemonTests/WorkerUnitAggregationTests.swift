import Detection
import IPWatcherDaemon
import IPWatcherTestSupport
import RedisClient
import Testing

/// Canonical units: IPv6 is counted per /64, IPv4-mapped IPv6 as IPv4.
@Suite("Worker: canonical units", .needsRedisServer, .timeLimit(.minutes(10)))
struct WorkerUnitAggregationTests {
    @Test("15 different IPv6 addresses inside one /64 add up and block the /64", arguments: DetectionRule.Mode.allCases)
    func rotatingIPv6AddressesAddUp(mode: DetectionRule.Mode) async throws {
        try await withWorker(.forTests(mode: mode)) { run in
            // Different interface identifiers and spellings, all in 2001:db8:1:2::/64.
            let addresses = (1...15).map { "2001:db8:1:2:\(String($0, radix: 16)):aa:\(String($0 * 7, radix: 16)):\($0)" }
            #expect(Set(addresses).count == 15)
            try await run.redis.push(addresses)
            let totals = try await run.waitUntilHandled(15)
            #expect(totals.counted == 15)
            #expect(try await run.redis.members(of: "blocklist") == ["2001:db8:1:2::/64"])
        }
    }

    @Test("addresses from neighbouring /64s are separate units", arguments: DetectionRule.Mode.allCases)
    func neighbouringSubnetsDoNotAddUp(mode: DetectionRule.Mode) async throws {
        try await withWorker(.forTests(mode: mode)) { run in
            let inFirst = (1...14).map { "2001:db8:1:2::\(String($0, radix: 16))" }
            try await run.redis.push(inFirst + ["2001:db8:1:3::1", "2001:DB8:1:2:0:0:0:FFFF"])
            try await run.waitUntilHandled(16)
            // The upper-case spelling is the 15th hit of 2001:db8:1:2::/64.
            #expect(try await run.redis.members(of: "blocklist") == ["2001:db8:1:2::/64"])
            #expect(try await !run.redis.isMember("2001:db8:1:3::/64", of: "blocklist"))
        }
    }

    @Test("::ffff:203.0.113.9 fifteen times blocks 203.0.113.9", arguments: DetectionRule.Mode.allCases)
    func mappedIPv4IsCountedAsIPv4(mode: DetectionRule.Mode) async throws {
        try await withWorker(.forTests(mode: mode)) { run in
            try await run.redis.push(hits("::ffff:203.0.113.9", 15))
            try await run.waitUntilHandled(15)
            #expect(try await run.redis.members(of: "blocklist") == ["203.0.113.9"])
        }
    }

    @Test("plain and IPv4-mapped spellings of one address are one unit", arguments: DetectionRule.Mode.allCases)
    func mappedAndPlainIPv4AddUp(mode: DetectionRule.Mode) async throws {
        try await withWorker(.forTests(mode: mode)) { run in
            try await run.redis.push(hits("203.0.113.10", 8) + hits("::ffff:203.0.113.10", 7))
            try await run.waitUntilHandled(15)
            #expect(try await run.redis.members(of: "blocklist") == ["203.0.113.10"])
        }
    }
}
