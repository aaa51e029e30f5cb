import Detection
import Testing
import Traffic

/// `detection.counters: buckets`: which hash a unit's counter lives in. The bucket of a name is part of the key
/// layout — every worker, tool and later version must pick the same hash — so the values are pinned here.
@Suite("Counter layout: buckets")
struct CounterLayoutTests {
    /// 32-bit FNV-1a written out from its definition (offset basis 2166136261, prime 16777619), independent of
    /// the code under test.
    static func referenceFNV1a(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        for byte in bytes {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return hash
    }

    /// Names, their FNV-1a hashes (computed outside Swift), and the bucket for a few counts.
    static let pinned: [(name: String, hash: UInt32, buckets: [Int: Int])] = [
        ("203.0.113.7", 2_412_736_736, [1: 0, 8: 0, 1000: 736, 16384: 12512]),
        ("198.51.100.0/24", 851_349_931, [1: 0, 8: 3, 1000: 931, 16384: 4523]),
        ("2001:db8:1:2::/64", 3_783_447_620, [1: 0, 8: 4, 1000: 620, 16384: 5188]),
        // The published FNV-1a test vectors: "" is the offset basis, "a" is 0xe40c292c, "foobar" 0xbf9cf968.
        ("", 0x811C_9DC5, [1: 0, 8: 5, 1000: 261, 16384: 7621]),
        ("a", 0xE40C_292C, [1: 0, 8: 4, 1000: 220, 16384: 10540]),
        ("foobar", 0xBF9C_F968, [1: 0, 8: 0, 1000: 720, 16384: 14696]),
    ]

    @Test("the bucket of a name is 32-bit FNV-1a of its UTF-8 bytes modulo the count, pinned for known names")
    func pinnedBuckets() {
        for (name, hash, buckets) in Self.pinned {
            #expect(Self.referenceFNV1a(name.utf8) == hash, "the reference implementation disagrees on \(name)")
            for (count, bucket) in buckets {
                #expect(CounterLayout.bucket(ofName: name, count: count) == bucket, "\(name) of \(count)")
                #expect(Int(hash % UInt32(count)) == bucket, "the pinned table is inconsistent for \(name)")
            }
        }
        // The tutorial's example unit in the default layout: ipwatcher:buckets:60:<n>:{12512}.
        #expect(CounterLayout.bucket(ofName: "203.0.113.7", count: CounterLayout.defaultBucketCount) == 12512)
    }

    @Test("the unit, text and raw-bytes forms agree with each other and with the reference, always within 0..<count")
    func overloadsAgree() {
        let counts = [1, 2, 3, 7, 8, 64, 1000, 4096, CounterLayout.defaultBucketCount, 100_003, CounterLayout.maximumBucketCount]
        SplitMix64.forEachRandomAddress(seed: 0xB0C4, count: 3000) { address, random in
            let unit = DetectionUnit(
                address: address, ipv4Prefix: Int.random(in: 0...32, using: &random),
                ipv6Prefix: Int.random(in: 0...128, using: &random))
            let name = unit.name
            let hash = Self.referenceFNV1a(name.utf8)
            for count in counts {
                let fromUnit = CounterLayout.bucket(of: unit, count: count)
                let fromText = CounterLayout.bucket(ofName: name, count: count)
                let fromBytes = Array(name.utf8).withUnsafeBytes { CounterLayout.bucket(ofName: $0, count: count) }
                #expect(fromUnit == fromText && fromText == fromBytes, "\(name) of \(count)")
                #expect(fromUnit == Int(hash % UInt32(count)), "\(name) of \(count)")
                #expect((0..<count).contains(fromUnit), "\(name) of \(count): \(fromUnit)")
            }
        }
    }

    @Test("one bucket holds everything; a count below one is treated as one instead of trapping")
    func singleBucket() {
        SplitMix64.forEachRandomAddress(seed: 5, count: 500) { address, _ in
            let unit = DetectionUnit(address: address, ipv4Prefix: 32, ipv6Prefix: 64)
            #expect(CounterLayout.bucket(of: unit, count: 1) == 0)
            #expect(CounterLayout.bucket(of: unit, count: 0) == 0)
            #expect(CounterLayout.bucket(ofName: unit.name, count: -3) == 0)
        }
    }

    @Test("200,000 units spread evenly over 4,096 hashes: random addresses, sequential IPv4 and sequential /64s")
    func spreadIsEven() {
        let count = 4096
        let units = 200_000
        let mean = Double(units) / Double(count)
        var random = SplitMix64(seed: 0x5EED)
        let sources: [(String, (Int) -> DetectionUnit)] = [
            ("random IPv4 and /64s", {
                let address: IPAddress =
                    $0.isMultiple(of: 2) ? .v4(UInt32(truncatingIfNeeded: random.next())) : .v6(high: random.next(), low: random.next())
                return DetectionUnit(address: address, ipv4Prefix: 32, ipv6Prefix: 64)
            }),
            ("sequential IPv4", { DetectionUnit(address: .v4(0x0A00_0000 | UInt32($0)), ipv4Prefix: 32, ipv6Prefix: 64) }),
            ("sequential /64s", {
                DetectionUnit(address: .v6(high: 0x2001_0DB8_0000_0000 | UInt64($0), low: 1), ipv4Prefix: 32, ipv6Prefix: 64)
            }),
        ]
        for (label, make) in sources {
            var fill = [Int](repeating: 0, count: count)
            var names = Set<String>()
            for index in 0..<units {
                let unit = make(index)
                names.insert(unit.name)
                fill[CounterLayout.bucket(of: unit, count: count)] += 1
            }
            let total = fill.reduce(0, +)
            #expect(total == units)
            // Expected ~49 ± 7 per hash; the fullest of 4,096 lands near 75 and the emptiest near 25.
            #expect(Double(fill.max()!) < 2 * mean, "\(label): fullest hash \(fill.max()!) for a mean of \(mean)")
            #expect(Double(fill.min()!) > mean / 3, "\(label): emptiest hash \(fill.min()!) for a mean of \(mean)")
            #expect(names.count > units * 99 / 100, "\(label): the generator repeats itself")
        }
    }

    @Test("bucketCount(forUnits:) hashes keep every hash under Redis's 128-field listpack limit")
    func advisedCountKeepsHashesCompact() {
        let units = 200_000
        let count = CounterLayout.bucketCount(forUnits: units)
        #expect(count == 3125)
        var fill = [Int](repeating: 0, count: count)
        var random = SplitMix64(seed: 64)
        for _ in 0..<units {
            let unit = DetectionUnit(address: .v4(UInt32.random(in: 0...UInt32.max, using: &random)), ipv4Prefix: 32, ipv6Prefix: 64)
            fill[CounterLayout.bucket(of: unit, count: count)] += 1
        }
        #expect(fill.max()! < 128, "fullest hash \(fill.max()!) fields")
    }

    /// Units per window and the hashes advised for them.
    static let advisedCountCases: [(Int, Int)] = [
        (Int.min, 1), (-1, 1), (0, 1), (1, 1), (64, 1), (65, 2), (128, 2), (129, 3), (1_000_000, 15625),
        (67_108_864, 1_048_576), (67_108_865, 1_048_576), (1_099_511_627_776, 1_048_576), (Int.max - 63, 1_048_576),
        (Int.max, 1_048_576),
    ]

    @Test(
        "bucketCount(forUnits:) is one hash per 64 units, at least one, at most maximumBucketCount",
        arguments: advisedCountCases)
    func advisedCounts(units: Int, expected: Int) {
        #expect(CounterLayout.bucketCount(forUnits: units) == expected)
    }

    @Test("a count beyond 32 bits leaves the hash as it is, and never divides by zero")
    func countsBeyondThirtyTwoBits() {
        let whole = CounterLayout.bucket(ofName: "203.0.113.7", count: Int(UInt32.max) + 1)
        #expect(CounterLayout.bucket(ofName: "203.0.113.7", count: 1 << 40) == whole)
        #expect(CounterLayout.bucket(ofName: "203.0.113.7", count: 1 << 33) == whole)
        #expect(CounterLayout.bucket(ofName: "203.0.113.7", count: 1 << 32) == whole)
    }

    @Test("the layout's constants and configuration names")
    func constantsAndNames() {
        #expect(CounterLayout.defaultBucketCount == 16384)
        #expect(CounterLayout.maximumBucketCount == 1_048_576)
        #expect(CounterLayout.keys.name == "keys")
        #expect(CounterLayout.buckets(count: 8).name == "buckets")
        #expect(CounterLayout.buckets(count: 8) != .buckets(count: 9))
    }
}
