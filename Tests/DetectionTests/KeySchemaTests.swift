import Detection
import Testing
import Traffic

@Suite("Redis key names")
struct KeySchemaTests {
    @Test("the default schema produces the documented names")
    func defaultNames() {
        let keys = KeySchema()
        #expect(keys.prefix == "ipwatcher:")
        #expect(keys.fixedCounterKey(unitName: "203.0.113.7", windowSeconds: 60, windowIndex: 28_333_333) == "ipwatcher:fixed:60:28333333:203.0.113.7")
        #expect(keys.fixedCounterKey(unitName: "2001:db8:1:2::/64", windowSeconds: 10, windowIndex: -1) == "ipwatcher:fixed:10:-1:2001:db8:1:2::/64")
        #expect(keys.rollingKey(unitName: "198.51.100.0/24", windowSeconds: 60) == "ipwatcher:rolling:60:198.51.100.0/24")
        #expect(keys.bansKey == "ipwatcher:bans")
        #expect(keys.processingKey(workerID: "host-1:4242") == "ipwatcher:processing:host-1:4242")
        #expect(keys.statsKey == "ipwatcher:stats")
    }

    @Test("every key starts with the prefix", arguments: ["ipwatcher:", "tenant-42:ipwatcher:", "x:", "{ipw}:"])
    func everyKeyHasThePrefix(prefix: String) {
        let keys = KeySchema(prefix: prefix)
        var random = SplitMix64(seed: 71)
        var names: [String] = [keys.bansKey, keys.statsKey, keys.processingKey(workerID: "w1"), keys.rollingKeyPrefix]
        for _ in 0..<200 {
            let unit = DetectionUnit(address: random.anyAddress(), ipv4Prefix: 24, ipv6Prefix: 64)
            let index = Int64.random(in: -1000...100_000_000, using: &random)
            names.append(keys.fixedCounterKey(unitName: unit.name, windowSeconds: 60, windowIndex: index))
            names.append(keys.rollingKey(unitName: unit.name, windowSeconds: 3600))
        }
        for name in names {
            #expect(name.hasPrefix(prefix), "\(name)")
            #expect(!name.contains(" "), "\(name)")
        }
    }

    @Test("the key prefixes are exactly what precedes the unit name")
    func prefixesPrecedeTheName() {
        let keys = KeySchema(prefix: "p:")
        let name = "2001:db8::/32"
        #expect(keys.fixedCounterKeyPrefix(windowSeconds: 60, windowIndex: 7) + name
            == keys.fixedCounterKey(unitName: name, windowSeconds: 60, windowIndex: 7))
        #expect(keys.fixedCounterKeyPrefix(windowSeconds: 60, windowIndex: 7) == "p:fixed:60:7:")
        #expect(keys.rollingKeyPrefix(windowSeconds: 2) + name == keys.rollingKey(unitName: name, windowSeconds: 2))
        #expect(keys.rollingKeyPrefix(windowSeconds: 2) == "p:rolling:2:")
        #expect(keys.rollingKeyPrefix(windowSeconds: 2).hasPrefix(keys.rollingKeyPrefix))
    }

    @Test("counter hashes under counters: buckets, their prefixes and their cluster markers")
    func bucketKeys() {
        let keys = KeySchema()
        #expect(keys.bucketKey(windowSeconds: 60, windowIndex: 28_333_333, bucket: 12512) == "ipwatcher:buckets:60:28333333:{12512}")
        #expect(keys.bucketKey(windowSeconds: 3600, windowIndex: -1, bucket: 0) == "ipwatcher:buckets:3600:-1:{0}")
        #expect(keys.bucketKeyPrefix(windowSeconds: 60, windowIndex: 7) == "ipwatcher:buckets:60:7:")
        #expect(keys.bucketKeyPrefix(windowSeconds: 60) == "ipwatcher:buckets:60:")
        #expect(keys.bucketKeyPrefix(windowSeconds: 60, windowIndex: 7) + "{5}" == keys.bucketKey(windowSeconds: 60, windowIndex: 7, bucket: 5))
        #expect(keys.bucketKeyPrefix(windowSeconds: 60, windowIndex: 7).hasPrefix(keys.bucketKeyPrefix(windowSeconds: 60)))
        #expect(
            keys.appliedKey(bucket: 12512, batchTag: "aB3dE6gH-42", unitName: "2001:db8:1:2::/64")
                == "ipwatcher:applied:{12512}:aB3dE6gH-42:2001:db8:1:2::/64")
        let other = KeySchema(prefix: "tenant-7:iw:")
        #expect(other.bucketKey(windowSeconds: 10, windowIndex: 3, bucket: 1) == "tenant-7:iw:buckets:10:3:{1}")
        #expect(other.appliedKey(bucket: 1, batchTag: "t", unitName: "1.2.3.4") == "tenant-7:iw:applied:{1}:t:1.2.3.4")
    }

    @Test(
        "a counter hash's cluster slot is its bucket alone, the same as its applied-markers'",
        arguments: ["ipwatcher:", "tenant-42:ipwatcher:", "x:"])
    func bucketKeysHashByTheirBucket(prefix: String) {
        let keys = KeySchema(prefix: prefix)
        var random = SplitMix64(seed: 97)
        for _ in 0..<300 {
            let bucket = Int(random.next(below: CounterLayout.maximumBucketCount))
            let window = Int64.random(in: -1000...100_000_000, using: &random)
            let unit = DetectionUnit(address: random.anyAddress(), ipv4Prefix: 24, ipv6Prefix: 64)
            let hash = keys.bucketKey(windowSeconds: 60, windowIndex: window, bucket: bucket)
            let marker = keys.appliedKey(bucket: bucket, batchTag: "run-\(window)", unitName: unit.name)
            #expect(KeySchema.hashTag(of: hash) == "\(bucket)", "\(hash)")
            #expect(KeySchema.hashTag(of: marker) == "\(bucket)", "\(marker)")
            #expect(KeySchema.isTaggable(hash) && KeySchema.isTaggable(marker))
            #expect(hash.hasPrefix(prefix) && marker.hasPrefix(prefix))
            #expect(!hash.contains(" ") && !marker.contains(" "))
            // The same bucket of another window or window length shares the slot.
            #expect(KeySchema.hashTag(of: keys.bucketKey(windowSeconds: 10, windowIndex: window + 1, bucket: bucket)) == "\(bucket)")
        }
    }

    @Test("window length, index and bucket all distinguish counter hashes, and they never collide with counter keys")
    func bucketKeysAreDistinct() {
        let keys = KeySchema()
        let names = Set([
            keys.bucketKey(windowSeconds: 60, windowIndex: 1, bucket: 1),
            keys.bucketKey(windowSeconds: 60, windowIndex: 2, bucket: 1),
            keys.bucketKey(windowSeconds: 10, windowIndex: 1, bucket: 1),
            keys.bucketKey(windowSeconds: 60, windowIndex: 1, bucket: 11),
            keys.bucketKey(windowSeconds: 601, windowIndex: 1, bucket: 1),
            keys.fixedCounterKey(unitName: "1", windowSeconds: 60, windowIndex: 1),
        ])
        #expect(names.count == 6)
        #expect(!keys.bucketKey(windowSeconds: 60, windowIndex: 1, bucket: 1).hasPrefix(keys.fixedCounterKeyPrefix(windowSeconds: 60, windowIndex: 1)))
    }

    @Test("window length and index both distinguish counter keys")
    func counterKeysAreDistinct() {
        let keys = KeySchema()
        let names = Set([
            keys.fixedCounterKey(unitName: "1.2.3.4", windowSeconds: 60, windowIndex: 1),
            keys.fixedCounterKey(unitName: "1.2.3.4", windowSeconds: 60, windowIndex: 2),
            keys.fixedCounterKey(unitName: "1.2.3.4", windowSeconds: 10, windowIndex: 1),
            keys.fixedCounterKey(unitName: "1.2.3.5", windowSeconds: 60, windowIndex: 1),
        ])
        #expect(names.count == 4)
    }
}
