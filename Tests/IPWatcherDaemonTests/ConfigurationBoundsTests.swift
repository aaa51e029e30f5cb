import IPWatcherTestSupport
import Detection
import Foundation
import Testing
import Traffic

@testable import IPWatcherDaemon

/// Every numeric setting has an upper bound, and whatever gets past it cannot make the arithmetic that uses it trap.
@Suite("IPWatcherConfiguration: bounds of numeric settings")
struct ConfigurationBoundsTests {
    /// A numeric key, its accepted range, and whether it is whole seconds/counts or decimal seconds.
    struct NumericKey: Sendable {
        let name: String
        let minimum: Int
        let maximum: Int
        let isDecimalSeconds: Bool

        init(_ name: String, _ range: ClosedRange<Int>, decimalSeconds: Bool = false) {
            self.name = name
            minimum = range.lowerBound
            maximum = range.upperBound
            isDecimalSeconds = decimalSeconds
        }
    }

    static let numericKeys: [NumericKey] = [
        NumericKey("redis.connect_timeout", 0...86400, decimalSeconds: true),
        NumericKey("redis.command_timeout", 0...86400, decimalSeconds: true),
        NumericKey(
            "redis.max_bulk_bytes",
            IPWatcherConfiguration.Redis.minimumMaxBulkBytes...IPWatcherConfiguration.Redis.maximumMaxBulkBytes),
        NumericKey("queue.batch", 1...100_000),
        NumericKey("queue.block_timeout", 0...60, decimalSeconds: true),
        NumericKey("queue.rejected_max", 1...IPWatcherConfiguration.Queue.maximumRejectedMax),
        NumericKey("queue.shards", 1...1024),
        NumericKey("queue.lease", 0...86400),
        NumericKey("detection.threshold", 1...DetectionRule.maximumThreshold),
        NumericKey("detection.window", 1...86400),
        NumericKey("detection.ipv4_prefix", 0...32),
        NumericKey("detection.ipv6_prefix", 0...128),
        NumericKey("detection.buckets", 1...CounterLayout.maximumBucketCount),
        NumericKey("blocklist.ban_seconds", 0...BanExpiry.maximumSeconds),
        NumericKey("blocklist.escalation.max_seconds", 1...BanExpiry.maximumSeconds),
        NumericKey("blocklist.escalation.memory_seconds", 1...BanExpiry.maximumSeconds),
        NumericKey("blocklist.ranges.ipv4_prefix", 1...31),
        NumericKey("blocklist.ranges.ipv6_prefix", 1...127),
        NumericKey("blocklist.ranges.min_units", 0...1_000_000),
        NumericKey("metrics.max_connections", IPWatcherConfiguration.metricsMaxConnectionsRange),
    ]

    /// 2^53: the largest whole number that doubles (Lua numbers, Redis scores) still hold exactly.
    static let exactInDouble: Int64 = 9_007_199_254_740_992

    /// Unix milliseconds the arithmetic is tried at: the epoch, now, and the year 2500.
    static let times: [Int64] = [0, WallClock().nowMilliseconds(), 16_725_225_600_000]

    @Test("the keys the test covers are every numeric key of the schema")
    func coversEveryNumericKey() {
        // Keys whose values are text, choices, lists or paths; everything else is a number and must be listed above.
        let nonNumeric: Set<String> = [
            "redis.url", "redis.password_file", "redis.client_name", "redis.tls.ca_file", "redis.tls.cert_file",
            "redis.tls.key_file", "redis.tls.server_name", "redis.tls.verify", "redis.cluster", "queue.key",
            "queue.pop", "queue.rejected_key", "queue.delivery", "queue.worker_id", "detection.mode",
            "detection.allowlist", "detection.dry_run", "detection.key_prefix", "detection.counters", "blocklist.key",
            // Rules carry their numbers inside text; near_limit is a fraction. Both have tests of their own.
            "detection.rules", "detection.near_limit", "blocklist.escalation.factor", "blocklist.escalation.jitter",
            "blocklist.events_channel", "blocklist.ranges.key", "log.level", "log.format", "metrics.listen", "redis.scripts",
        ]
        let numeric = Set(IPWatcherConfiguration.keyNames).subtracting(nonNumeric)
        #expect(numeric == Set(Self.numericKeys.map(\.name)))
    }

    @Test("extreme values are refused with the key and its bound named, or accepted and then used without a trap")
    func extremeValuesAreRefusedOrSafe() async throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SplitMix64(seed: seed)
        for key in Self.numericKeys {
            var values = [
                "0", "1", "-1", "\(key.minimum)", "\(key.maximum)", "\(key.maximum + 1)", "\(key.maximum - 1)",
                "\(Int64.max)", "\(Int64.min)", "9223372036854775808", String(repeating: "9", count: 400),
                "+\(key.maximum)", " \(key.maximum) ", "1e3", "0x10", "",
            ]
            for _ in 0..<40 {
                switch random.next(below: 3) {
                case 0: values.append("\(Int64(bitPattern: random.next()))")
                case 1: values.append("\(random.next(below: key.maximum * 2 + 2))")
                default:
                    let digits = (0..<(1 + random.next(below: 30))).map { _ in Character(String(random.next(below: 10))) }
                    values.append(String(digits))
                }
            }
            for value in values {
                try await check(key, value, seed: seed)
            }
        }
    }

    /// Loads `value` for `key` and checks the outcome against the key's range.
    private func check(_ key: NumericKey, _ value: String, seed: UInt64) async throws {
        let context = Comment(rawValue: "\(key.name)=\(value) (seed \(seed))")
        do {
            let configuration = try await loadConfiguration(overrides: [key.name: value])
            #expect(Self.isInRange(value, key), context)
            exerciseArithmetic(configuration, context)
        } catch {
            #expect(!Self.isInRange(value, key), context)
            #expect(error.key == key.name, context)
            #expect(error.description.hasPrefix("\(key.name): "), context)
            #expect(error.description.contains("to \(key.maximum)") || error.description.contains("most \(key.maximum)"),
                "the error names the bound: \(error) (\(context.rawValue))")
            #expect(!error.description.contains("\n"), context)
        }
    }

    /// Whether the reader should accept `value`: decimal digits (with a point for seconds) within the range, and
    /// above zero for durations.
    private static func isInRange(_ value: String, _ key: NumericKey) -> Bool {
        let text = value.trimmingCharacters(in: .whitespaces)
        if key.isDecimalSeconds {
            guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                let seconds = Double(text)
            else { return false }
            return seconds > 0 && seconds >= Double(key.minimum) && seconds <= Double(key.maximum)
        }
        guard let number = Int(text) else { return false }
        return (key.minimum...key.maximum).contains(number)
    }

    /// Runs every computation the worker makes with the settings; a trap here crashes the test run.
    private func exerciseArithmetic(_ configuration: IPWatcherConfiguration, _ context: Comment) {
        let settings = WorkerSettings(configuration: configuration)
        let rule = settings.detection.singleRule
        for now in Self.times {
            if let expiresAt = BanExpiry.expiresAt(now: now, banSeconds: settings.detection.banSeconds) {
                #expect(expiresAt > now && expiresAt < Self.exactInDouble, context)
            } else {
                #expect(settings.detection.banSeconds == 0, context)
            }
            let window = rule.fixedWindow
            let index = window.index(of: now)
            #expect(window.start(of: index) <= now && now < window.end(of: index), context)
            #expect(window.counterExpiry(of: index) < Self.exactInDouble, context)
            let clock = EventClock(windowMilliseconds: rule.windowMilliseconds)
            _ = clock.classify(eventTime: now.saturatingSubtract(rule.windowMilliseconds), now: now)
        }
        #expect(rule.rollingCap == rule.threshold + 1 && Int64(rule.rollingCap) < Self.exactInDouble, context)
        #expect(rule.crossed(before: rule.threshold - 1, after: rule.threshold), context)
        #expect(settings.rejectedMax - 1 >= 0, context)
        if let lease = settings.lease {
            let milliseconds = lease.components.seconds * 1000
            #expect(milliseconds > 0 && milliseconds < Self.exactInDouble, context)
        }
        for timeout in [settings.blockTimeout, configuration.redis.connectTimeout, configuration.redis.commandTimeout] {
            #expect(timeout > .zero && timeout.components.seconds * 1000 < Self.exactInDouble, context)
        }
        _ = rule.unit(for: .v6(high: .max, low: .max))
        _ = rule.unit(for: .v4(.max))
        let shards = QueueShards(baseKey: settings.queueKey, count: settings.queueShards)
        _ = shards.key(ofShard: settings.queueShards - 1)
        let buckets = configuration.detection.buckets
        let bucket = CounterLayout.bucket(of: rule.unit(for: .v6(high: .max, low: .max)), count: buckets)
        #expect((0..<buckets).contains(bucket), context)
    }

    @Test("metrics.listen refuses a port beyond 65535 however many digits it has")
    func metricsPortIsBounded() async {
        for port in ["65536", "-1", "\(Int64.max)", "9223372036854775808", String(repeating: "9", count: 400)] {
            let error = await loadingError(overrides: ["metrics.listen": "127.0.0.1:\(port)"])
            #expect(error?.key == "metrics.listen", "port \(port)")
        }
        let configuration = try? await loadConfiguration(overrides: ["metrics.listen": "127.0.0.1:65535"])
        #expect(configuration?.metrics.listen?.port == 65535)
    }

    @Test("ban expiry, rolling cap and lease maths saturate for values only code can set")
    func arithmeticSaturatesBeyondTheBounds() {
        #expect(BanExpiry.expiresAt(now: WallClock().nowMilliseconds(), banSeconds: .max) == .max)
        #expect(BanExpiry.expiresAt(now: .max, banSeconds: 1) == .max)
        #expect(BanExpiry.expiresAt(now: 0, banSeconds: -5) == nil)
        let tenYears: Int64 = 315_360_000_000
        #expect(BanExpiry.expiresAt(now: 1000, banSeconds: BanExpiry.maximumSeconds) == 1000 + tenYears)
        #expect(DetectionRule(threshold: .max).rollingCap == .max)
        #expect(DetectionRule(threshold: .min).rollingCap == 1)
        #expect(DetectionRule(threshold: DetectionRule.maximumThreshold).rollingCap == 1_000_000_001)
    }

    @Test("blocklist add refuses a ban longer than ten years instead of trapping")
    func blocklistAddRefusesAHugeBan() async throws {
        try await withScratchDirectory { scratch in
            for seconds in ["9223372036854775807", "315360001"] {
                let added = try await runIPWatcher(
                    ["blocklist", "add", "192.0.2.9", "--ban-seconds", seconds, "--redis-url", "redis://127.0.0.1:1"],
                    in: scratch)
                #expect(added.outcome.status == 64, "\(seconds): \(added.stderr)")
                let stderr = added.stderr.joined(separator: "\n")
                #expect(stderr.contains("--ban-seconds must be from 0 to 315360000"), "\(stderr)")
            }
        }
    }
}
