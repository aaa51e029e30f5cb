import Detection
import Testing

@Suite("Queue shards")
struct QueueShardsTests {
    @Test("one shard is the plain key; N shards are <key>:{0} … <key>:{N-1}")
    func keyNames() {
        #expect(QueueShards(baseKey: "ips", count: 1).keys == ["ips"])
        #expect(QueueShards(baseKey: "ips", count: 3).keys == ["ips:{0}", "ips:{1}", "ips:{2}"])
    }

    @Test("the shard is zlib's CRC-32 of the address text modulo N, the time after the space ignored")
    func crc32OfTheAddress() {
        // zlib.crc32(b"123456789") == 0xCBF43926, the standard check value.
        let shards = QueueShards(baseKey: "ips", count: 1_000_000_007 % 65_536)
        #expect(shards.shard(forEntry: "123456789") == Int(UInt32(0xCBF4_3926) % UInt32(shards.count)))
        let four = QueueShards(baseKey: "ips", count: 4)
        #expect(four.shard(forEntry: "123456789") == Int(UInt32(0xCBF4_3926) % 4))
        #expect(four.shard(forEntry: "2001:db8::1 1718000000123") == four.shard(forEntry: "2001:db8::1"))
        #expect(QueueShards(baseKey: "ips", count: 1).shard(forEntry: "198.51.100.1") == 0)
    }

    @Test("10,000 addresses spread over 8 shards within 10 % of even")
    func spread() {
        let shards = QueueShards(baseKey: "ips", count: 8)
        var counts = [Int](repeating: 0, count: 8)
        for index in 0..<10_000 {
            counts[shards.shard(forEntry: "10.\(index / 65_536).\(index / 256 % 256).\(index % 256)")] += 1
        }
        for count in counts { #expect(abs(count - 1_250) < 125, "\(counts)") }
    }
}

@Suite("Cluster key names")
struct ClusterKeyNameTests {
    @Test("the hash tag is the text in the first non-empty braces, else the whole key")
    func hashTags() {
        #expect(KeySchema.hashTag(of: "ips") == "ips")
        #expect(KeySchema.hashTag(of: "ips:{3}") == "3")
        #expect(KeySchema.hashTag(of: "a{}b{c}") == "a{}b{c}")
        #expect(KeySchema.hashTag(of: "{user1}:x{y}") == "user1")
        #expect(KeySchema.hashTag(of: "a}b") == "a}b")
        #expect(!KeySchema.isTaggable("a}b"))
        #expect(KeySchema.isTaggable("blocklist"))
    }

    @Test("processing, landing and bans keys carry the tag of the key they must share a slot with")
    func taggedKeys() {
        let keys = KeySchema()
        #expect(keys.processingKey(workerID: "w1", shardKey: "ips:{2}") == "ipwatcher:processing:w1:{2}")
        #expect(keys.landingKey(workerID: "w1", shardKey: "ips") == "ipwatcher:processing:w1:{ips}:landing")
        #expect(keys.clusterBansKey(blocklistKey: "blocklist") == "ipwatcher:bans:{blocklist}")
        #expect(keys.clusterBansKey(blocklistKey: "{web}:blocked") == "ipwatcher:bans:{web}")
    }
}
