import NIOCore
import RESP
import RedisClient
import Testing

/// Node ids of the captured cluster (see CapturedClusterReplies.swift), by port.
private let nodeID: [Int: String] = [
    30001: "709b645f63d6e60703b0fef9a6904f6b403f6d0a",
    30002: "9d1fca1679f54c2a388f01cc25043348ed75bee2",
    30003: "5321a0e1b1021a8284863e80adffc466e337b018",
    30004: "6aa903164aca144290cea53f53594d44fcf29c8c",
    30005: "79ae9a6d17accf8a389f9f84f7b650ead4e9ea69",
    30006: "07ad5bb213de338b30fdf27333077d8d2b1aebda",
]

private func slot(_ number: Int) -> RedisHashSlot { RedisHashSlot(number)! }

/// What routing depends on: per shard, the ranges and the (id, host, port) of the master and of the replicas.
private func routing(_ topology: RedisClusterTopology) -> [String] {
    topology.shards.map { shard in
        let ranges = shard.slotRanges.map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ",")
        let nodes = ([shard.master] + shard.replicas).map { "\($0.id)@\($0.host):\($0.port)" }.joined(separator: " ")
        return ranges + " " + nodes
    }
}

/// The ranges and master/replica ports of the healthy captured cluster, as `routing` writes them.
private func healthyRouting(host: String) -> [String] {
    func node(_ port: Int) -> String { "\(nodeID[port]!)@\(host):\(port)" }
    return [
        "0-5460,10923-10932 \(node(30001)) \(node(30004))",
        "5461-10922 \(node(30002)) \(node(30005))",
        "10933-16383 \(node(30003)) \(node(30006))",
    ]
}

@Suite struct RedisClusterTopologyTests {
    @Test(arguments: [CapturedClusterReplies.shardsRESP2, CapturedClusterReplies.shardsRESP3])
    func healthyClusterFromClusterShards(reply: CapturedReply) throws {
        let topology = try RedisClusterTopology(shardsReply: reply.token())
        #expect(routing(topology) == healthyRouting(host: "127.0.0.1"))
        #expect(topology.masters.map(\.port) == [30001, 30002, 30003])
        #expect(topology.nodes.map(\.port) == [30001, 30004, 30002, 30005, 30003, 30006])
        #expect(topology.coveredSlotCount == 16384)
        for node in topology.nodes {
            #expect(node.health == .online)
            #expect(node.isOnline)
            #expect(node.ip == "127.0.0.1")
            #expect(node.hostname == nil)
            #expect(node.tlsPort == nil)
            #expect(node.replicationOffset != nil)
            #expect(node.role == ([30001, 30002, 30003].contains(node.port) ? .master : .replica))
        }
        #expect(topology.node(forSlot: RedisHashSlot(key: "foo"))?.port == 30003)
        #expect(topology.node(forSlot: RedisHashSlot(key: "bar"))?.port == 30001)
        #expect(topology.node(forSlot: slot(0))?.port == 30001)
        #expect(topology.node(forSlot: slot(5460))?.port == 30001)
        #expect(topology.node(forSlot: slot(5461))?.port == 30002)
        #expect(topology.node(forSlot: slot(10922))?.port == 30002)
        #expect(topology.node(forSlot: slot(10923))?.port == 30001)
        #expect(topology.node(forSlot: slot(10932))?.port == 30001)
        #expect(topology.node(forSlot: slot(10933))?.port == 30003)
        #expect(topology.node(forSlot: slot(16383))?.port == 30003)
        #expect(topology.replicas(forSlot: slot(7000)).map(\.port) == [30005])
        #expect(topology.shard(forSlot: slot(10925))?.slotCount == 5461 + 10)
    }

    @Test(arguments: [CapturedClusterReplies.slotsRESP2, CapturedClusterReplies.slotsRESP3])
    func healthyClusterFromClusterSlots(reply: CapturedReply) throws {
        let topology = try RedisClusterTopology(slotsReply: reply.token())
        #expect(routing(topology) == healthyRouting(host: "127.0.0.1"))
        for node in topology.nodes {
            #expect(node.health == nil)
            #expect(!node.isOnline)
            #expect(node.ip == "127.0.0.1")
            #expect(node.hostname == nil)
            #expect(node.replicationOffset == nil)
        }
        #expect(topology.node(forSlot: RedisHashSlot(key: "{a}b"))?.port == 30003)
    }

    @Test func everySlotRoutesAlikeFromAllFourCapturedForms() throws {
        let topologies = try [
            RedisClusterTopology(shardsReply: CapturedClusterReplies.shardsRESP2.token()),
            RedisClusterTopology(shardsReply: CapturedClusterReplies.shardsRESP3.token()),
            RedisClusterTopology(slotsReply: CapturedClusterReplies.slotsRESP2.token()),
            RedisClusterTopology(slotsReply: CapturedClusterReplies.slotsRESP3.token()),
        ]
        for number in 0..<16384 {
            let expected: Int
            switch number {
            case 0...5460, 10923...10932: expected = 30001
            case 5461...10922: expected = 30002
            default: expected = 30003
            }
            for topology in topologies {
                let node = topology.node(forSlot: slot(number))
                #expect(node?.port == expected && node?.id == nodeID[expected], "slot \(number)")
            }
        }
        // The two RESP versions of one command describe the same cluster.
        #expect(topologies[2] == topologies[3])
    }

    /// Every node of the captured hostname-endpoint clusters is reached by its hostname and keeps its IP.
    private func expectHostnameEndpoints(
        _ topology: RedisClusterTopology, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for node in topology.nodes {
            #expect(node.host == "node-\(node.port).example", sourceLocation: sourceLocation)
            #expect(node.hostname == "node-\(node.port).example", sourceLocation: sourceLocation)
            #expect(node.ip == "127.0.0.1", sourceLocation: sourceLocation)
        }
    }

    @Test func hostnameEndpointsFromClusterShards() throws {
        let topology = try RedisClusterTopology(shardsReply: CapturedClusterReplies.shardsHostnameEndpointRESP3.token())
        #expect(routing(topology).count == 3)
        expectHostnameEndpoints(topology)
    }

    @Test func hostnameEndpointsFromClusterSlots() throws {
        let topology = try RedisClusterTopology(slotsReply: CapturedClusterReplies.slotsHostnameEndpointRESP2.token())
        #expect(topology.nodes.count == 6)
        expectHostnameEndpoints(topology)
    }

    @Test func afterAFailoverTheFailedFormerMasterWithoutSlotsIsLeftOut() throws {
        let topology = try RedisClusterTopology(shardsReply: CapturedClusterReplies.shardsAfterFailoverRESP2.token())
        #expect(topology.masters.map(\.port) == [30001, 30005, 30003])
        #expect(!topology.nodes.contains { $0.port == 30002 })
        let promoted = try #require(topology.shard(forSlot: slot(6000)))
        #expect(promoted.master.port == 30005)
        #expect(promoted.master.health == .online)
        #expect(promoted.replicas.isEmpty)
        #expect(promoted.slotRanges == [5461...10922])
        #expect(topology.coveredSlotCount == 16384)
    }

    @Test func aFailedMasterStillOwnsItsSlotsWhenNoHealthyMasterReplacedIt() throws {
        let shards = try RedisClusterTopology(shardsReply: CapturedClusterReplies.shardsFailedMasterRESP3.token())
        let owner = try #require(shards.node(forSlot: RedisHashSlot(key: "foo")))
        #expect(owner.port == 30003)
        #expect(owner.health == .failed)  // Redis 7.0 says "fail".
        #expect(!owner.isOnline)
        #expect(shards.replicas(forSlot: RedisHashSlot(key: "foo")).map(\.port) == [30006])
        #expect(shards.replicas(forSlot: RedisHashSlot(key: "foo")).first?.health == .online)
        #expect(shards.masters.map(\.port) == [30001, 30005, 30003])

        let slots = try RedisClusterTopology(slotsReply: CapturedClusterReplies.slotsFailedMasterRESP2.token())
        #expect(routing(slots) == routing(shards))
    }

    @Test func unknownEndpointGivesAnEmptyHostMeaningTheAskedHost() throws {
        let shards = try RedisClusterTopology(shardsReply: CapturedClusterReplies.shardsUnknownEndpointRESP3.token())
        let slots = try RedisClusterTopology(slotsReply: CapturedClusterReplies.slotsUnknownEndpointRESP2.token())
        #expect(routing(shards) == routing(slots))
        for node in shards.nodes + slots.nodes {
            #expect(node.host == "")
            #expect(node.ip == "127.0.0.1")
        }
        #expect(slots.nodes.allSatisfy { $0.hostname == "node-\($0.port).example" })
    }

    @Test func questionMarkEndpointFallsBackToTheIPAddress() throws {
        let shards = try RedisClusterTopology(shardsReply: CapturedClusterReplies.shardsMissingHostnameRESP2.token())
        let slots = try RedisClusterTopology(slotsReply: CapturedClusterReplies.slotsMissingHostnameRESP3.token())
        #expect(routing(shards) == routing(slots))
        for node in shards.nodes + slots.nodes {
            if node.port == 30004 {
                #expect(node.host == "127.0.0.1")
                #expect(node.hostname == nil)
            } else {
                #expect(node.host == "node-\(node.port).example")
            }
        }
    }

    @Test(arguments: ReplyValue.Version.allCases)
    func aHealthyMasterIsPreferredOverAnUnhealthyOneInTheSameShard(version: ReplyValue.Version) throws {
        let reply: ReplyValue = [
            shard(slots: [0, 16383], nodes: [
                shardNode(id: "failed", port: 7000, health: "fail"),
                shardNode(id: "loading", port: 7001, health: "loading"),
                shardNode(id: "replica", port: 7002, role: "replica"),
                shardNode(id: "online", port: 7003),
                shardNode(id: "second-online", port: 7004),
            ])
        ]
        let topology = try RedisClusterTopology(shardsReply: reply.token(version))
        #expect(topology.node(forSlot: slot(0))?.id == "online")
        #expect(topology.masters.map(\.id) == ["online"])
        #expect(topology.replicas(forSlot: slot(0)).map(\.id) == ["replica"])
    }

    @Test(arguments: ReplyValue.Version.allCases)
    func withoutAHealthyMasterTheFirstMasterOwnsTheSlots(version: ReplyValue.Version) throws {
        let reply: ReplyValue = [
            shard(slots: [0, 8191], nodes: [
                shardNode(id: "replica", port: 7002, role: "replica"),
                shardNode(id: "loading", port: 7001, health: "loading"),
                shardNode(id: "failed", port: 7000, health: "failed"),
            ]),
            shard(slots: [8192, 16383], nodes: [shardNode(id: "other", port: 7005, health: "some-future-state")]),
        ]
        let topology = try RedisClusterTopology(shardsReply: reply.token(version))
        #expect(topology.node(forSlot: slot(0))?.id == "loading")
        #expect(topology.node(forSlot: slot(0))?.health == .loading)
        #expect(topology.node(forSlot: slot(9000))?.id == "other")
        #expect(topology.node(forSlot: slot(9000))?.health == nil)
    }

    @Test(arguments: ReplyValue.Version.allCases)
    func portsTLSPortsUnknownFieldsAndAttributes(version: ReplyValue.Version) throws {
        let reply: ReplyValue = .attributed([
            shard(slots: [0, 99, 200, 299], nodes: [
                shardNode(id: "both", port: 7000, extra: [("tls-port", 7100), ("future-field", ["x", 1])])
            ]),
            shard(slots: [100, 199], nodes: [
                shardNode(id: "tls-only", port: nil, endpoint: .attributed("tls.example"), extra: [("tls-port", .bulk("7101"))])
            ]),
        ])
        let topology = try RedisClusterTopology(shardsReply: reply.token(version))
        let both = try #require(topology.node(forSlot: slot(250)))
        #expect(both.id == "both" && both.port == 7000 && both.tlsPort == 7100)
        let tlsOnly = try #require(topology.node(forSlot: slot(150)))
        #expect(tlsOnly.id == "tls-only" && tlsOnly.port == 7101 && tlsOnly.tlsPort == 7101)
        #expect(tlsOnly.host == "tls.example")
        #expect(tlsOnly.replicationOffset == 42)
        #expect(topology.node(forSlot: slot(300)) == nil)
        #expect(topology.coveredSlotCount == 300)
        #expect(topology.masters.map(\.id) == ["both", "tls-only"])
    }

    @Test(arguments: ReplyValue.Version.allCases)
    func missingEndpointFallsBackToTheIPAddress(version: ReplyValue.Version) throws {
        let reply: ReplyValue = [shard(slots: [0, 16383], nodes: [shardNode(ip: "::1", endpoint: nil)])]
        let node = try #require(RedisClusterTopology(shardsReply: reply.token(version)).node(forSlot: slot(1)))
        #expect(node.host == "::1")
        #expect(node.description == "[::1]:7000 master online a1")
    }

    @Test(arguments: ReplyValue.Version.allCases)
    func partialCoverageLeavesSlotsWithoutANode(version: ReplyValue.Version) throws {
        let reply: ReplyValue = [
            shard(slots: [10, 20], nodes: [shardNode(id: "a", port: 7000)]),
            shard(slots: [], nodes: [shardNode(id: "empty", port: 7001)]),
            shard(slots: [30, 30, 21, 29], nodes: [shardNode(id: "b", port: 7002)]),
        ]
        let topology = try RedisClusterTopology(shardsReply: reply.token(version))
        #expect(topology.coveredSlotCount == 21)
        #expect(topology.masters.map(\.id) == ["a", "b"])
        // Adjacent ranges of one shard are merged.
        #expect(topology.shards[1].slotRanges == [21...30])
        for number in 0..<16384 {
            let expected: String? = (10...20).contains(number) ? "a" : (21...30).contains(number) ? "b" : nil
            #expect(topology.node(forSlot: slot(number))?.id == expected, "slot \(number)")
        }
    }

    @Test(arguments: ReplyValue.Version.allCases)
    func anEmptyReplyIsAnEmptyTopology(version: ReplyValue.Version) throws {
        let shards = try RedisClusterTopology(shardsReply: ReplyValue.array([]).token(version))
        let slots = try RedisClusterTopology(slotsReply: ReplyValue.array([]).token(version))
        for topology in [shards, slots] {
            #expect(topology.shards.isEmpty)
            #expect(topology.masters.isEmpty)
            #expect(topology.coveredSlotCount == 0)
            #expect(topology.node(forSlot: slot(0)) == nil)
        }
    }

    @Test(arguments: ReplyValue.Version.allCases)
    func clusterSlotsOfOldServersWithoutIDsOrMetadata(version: ReplyValue.Version) throws {
        let reply: ReplyValue = [
            [0, 8000, ["10.0.0.1", 7000], ["10.0.0.2", 7001]],
            [8001, 16383, ["10.0.0.3", 7000]],
            [8001, 8001, ["10.0.0.1", 7000], ["10.0.0.2", 7001]],
        ]
        // The third entry hands 8001 to 10.0.0.1 as well: refused, since 10.0.0.3 already serves it.
        #expect(throws: RedisClusterTopologyError.self) { try RedisClusterTopology(slotsReply: reply.token(version)) }

        let valid: ReplyValue = [
            [0, 8000, ["10.0.0.1", 7000], ["10.0.0.2", 7001]],
            [8001, 16382, ["10.0.0.3", 7000]],
            [16383, 16383, ["10.0.0.1", 7000], ["10.0.0.2", 7001]],
        ]
        let topology = try RedisClusterTopology(slotsReply: valid.token(version))
        #expect(topology.shards.count == 2)
        #expect(topology.shards[0].slotRanges == [0...8000, 16383...16383])
        #expect(topology.shards[0].replicas.map(\.host) == ["10.0.0.2"])
        #expect(topology.node(forSlot: slot(16383))?.host == "10.0.0.1")
        #expect(topology.node(forSlot: slot(16383))?.id == "")
        #expect(topology.node(forSlot: slot(8001))?.host == "10.0.0.3")
        #expect(topology.node(forSlot: slot(8001))?.ip == "10.0.0.3")
    }

    @Test(arguments: ReplyValue.Version.allCases)
    func clusterSlotsIntegersMaySendAsStringsAndExtraElementsAreIgnored(version: ReplyValue.Version) throws {
        let reply: ReplyValue = [
            [.bulk("0"), .simple("16383"), ["h1", .bulk("7000"), "id1", .map([("hostname", "n1")]), "future"]]
        ]
        let node = try #require(RedisClusterTopology(slotsReply: reply.token(version)).node(forSlot: slot(5)))
        #expect(node.host == "h1" && node.port == 7000 && node.id == "id1" && node.hostname == "n1" && node.ip == "h1")
        #expect(node.role == .master)
    }

    @Test func shardsAreCheckedWhenBuiltByHand() throws {
        let a = RedisClusterNode(id: "a", host: "10.0.0.1", port: 7000, role: .master)
        let b = RedisClusterNode(id: "b", host: "10.0.0.2", port: 7000, role: .master)
        let topology = try RedisClusterTopology(shards: [
            RedisClusterShard(slotRanges: [9000...16383], master: b),
            RedisClusterShard(slotRanges: [100...200, 0...99, 201...8999], master: a),
            RedisClusterShard(slotRanges: [], master: b),
        ])
        #expect(topology.shards.map(\.master.id) == ["a", "b"])
        #expect(topology.shards[0].slotRanges == [0...8999])
        #expect(topology.coveredSlotCount == 16384)
        #expect(topology.description == "0-8999: 10.0.0.1:7000 master a\n9000-16383: 10.0.0.2:7000 master b")
        #expect(topology.shards[0].contains(slot(8999)))
        #expect(!topology.shards[0].contains(slot(9000)))

        let overlap = #expect(throws: RedisClusterTopologyError.self) {
            try RedisClusterTopology(shards: [
                RedisClusterShard(slotRanges: [0...100], master: a), RedisClusterShard(slotRanges: [100...200], master: b),
            ])
        }
        #expect(overlap?.reason == "slot 100 is served by both 10.0.0.1:7000 master a and 10.0.0.2:7000 master b")
        #expect(overlap?.description.hasPrefix("invalid shards: ") == true)

        let pastTheEnd = #expect(throws: RedisClusterTopologyError.self) {
            try RedisClusterTopology(shards: [RedisClusterShard(slotRanges: [16000...16384], master: a)])
        }
        #expect(pastTheEnd?.reason == "slot range 16000-16384 of 10.0.0.1:7000 master a goes past slot 16383")
    }

    @Test func equalRepliesGiveEqualTopologies() throws {
        let first = try RedisClusterTopology(slotsReply: CapturedClusterReplies.slotsRESP2.token())
        let again = try RedisClusterTopology(slotsReply: CapturedClusterReplies.slotsRESP2.token())
        let later = try RedisClusterTopology(slotsReply: CapturedClusterReplies.slotsFailedMasterRESP2.token())
        #expect(first == again)
        #expect(first.hashValue == again.hashValue)
        #expect(first != later)
    }
}
