import Detection
import IPWatcherDaemon
import Testing

/// `blocklist.ranges`: the defaults leave range bans off, and settings that could not work are refused with the
/// key named.
@Suite("Configuration: blocklist.ranges")
struct RangeBanConfigurationTests {
    @Test("off by default; min_units turns range bans on with /24 and /48 ranges in blocklist:ranges")
    func defaultsAndOn() async throws {
        let defaults = try await loadConfiguration()
        #expect(!defaults.blocklist.ranges.isOn && defaults.blocklist.rangesKey == "blocklist:ranges")
        let on = try await loadConfiguration(overrides: ["blocklist.ranges.min_units": "5"])
        let settings = WorkerSettings(configuration: on)
        #expect(settings.ranges == RangeBanPolicy(ipv4Prefix: 24, ipv6Prefix: 48, minUnits: 5))
        #expect(settings.rangesKey == "blocklist:ranges" && settings.rangeBansKey == "ipwatcher:bans:ranges")
    }

    @Test("a range no wider than a unit is refused, naming the range key and the unit prefix")
    func rangeMustBeWiderThanUnit() async throws {
        let error = try #require(
            await loadingError(overrides: ["blocklist.ranges.min_units": "2", "detection.ipv4_prefix": "24"]))
        #expect(error.key == "blocklist.ranges.ipv4_prefix" && "\(error)".contains("detection.ipv4_prefix"), "\(error)")
        let v6 = try #require(
            await loadingError(overrides: ["blocklist.ranges.min_units": "2", "blocklist.ranges.ipv6_prefix": "64"]))
        #expect(v6.key == "blocklist.ranges.ipv6_prefix", "\(v6)")
        // Off, the same prefixes are no error: nothing uses them.
        #expect(await loadingError(overrides: ["detection.ipv4_prefix": "24"]) == nil)
    }

    @Test("with a Redis Cluster the ranges set must share the blocklist's slot; the error says how to name it")
    func clusterSlot() async throws {
        let overrides = ["redis.url": "redis+cluster://127.0.0.1:7000", "blocklist.ranges.min_units": "2"]
        let error = try #require(await loadingError(overrides: overrides))
        #expect(error.key == "blocklist.ranges.key" && "\(error)".contains("{blocklist}:ranges"), "\(error)")
        let tagged = overrides.merging(["blocklist.ranges.key": "{blocklist}:ranges"]) { $1 }
        let configuration = try await loadConfiguration(overrides: tagged)
        #expect(WorkerSettings(configuration: configuration).rangeBansKey == "ipwatcher:bans:ranges:{blocklist}")
    }
}
