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
