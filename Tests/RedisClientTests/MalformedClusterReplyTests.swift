import NIOCore
import RESP
import RedisClient
import Testing

/// A reply that must be refused, and the reason the error must give.
struct MalformedClusterReply: Sendable, CustomTestStringConvertible {
    let name: String
    let reply: ReplyValue
    let reason: String
    /// The RESP versions the reason is written for (a RESP2 map is an array, so some messages differ).
    var versions: [ReplyValue.Version] = ReplyValue.Version.allCases

    var testDescription: String { name }
}

private let node = shardNode()

private let malformedShards: [MalformedClusterReply] = [
    .init(name: "not an array", reply: .simple("OK"), reason: "the reply is \"OK\", not an array"),
    .init(name: "null", reply: .null, reason: "the reply is (nil), not an array"),
    .init(name: "shard is an integer", reply: [1], reason: "shard 1 is (integer) 1, not a map"),
    .init(
        name: "shard is an odd flat array", reply: [["slots", [0, 1], "nodes"]],
        reason: "shard 1 is an array of 3 elements, not of key-value pairs"),
    .init(
        name: "shard key is not a string", reply: [[.integer(1), [0, 1], "nodes", [node]]],
        reason: "shard 1 has the key (integer) 1, not a string", versions: [.resp2]),
    .init(name: "no slots", reply: [.map([("nodes", [node])])], reason: "shard 1 has no \"slots\" field"),
    .init(name: "no nodes", reply: [.map([("slots", [0, 1])])], reason: "shard 1 has no \"nodes\" field"),
    .init(
        name: "slots is not an array", reply: [.map([("slots", 5), ("nodes", [node])])],
        reason: "the slots of shard 1 is (integer) 5, not an array"),
    .init(
        name: "odd number of slot bounds", reply: [shard(slots: [0, 10, 20], nodes: [node])],
        reason: "the slots of shard 1 are 3 numbers, not start-end pairs"),
    .init(
        name: "slot past 16383", reply: [shard(slots: [0, 16384], nodes: [node])],
        reason: "the end of slot range 1 of shard 1 is 16384, not a slot (0-16383)"),
    .init(
        name: "negative slot", reply: [shard(slots: [-1, 5], nodes: [node])],
        reason: "the start of slot range 1 of shard 1 is -1, not a slot (0-16383)"),
    .init(
        name: "slot is not a number", reply: [.map([("slots", ["zero", 5]), ("nodes", [node])])],
        reason: "the start of slot range 1 of shard 1 is \"zero\", not an integer"),
    .init(
        name: "backwards range", reply: [shard(slots: [0, 5, 9, 6], nodes: [node])],
        reason: "slot range 2 of shard 1 runs backwards, from 9 to 6"),
    .init(
        name: "overlapping ranges in one shard", reply: [shard(slots: [0, 10, 5, 20], nodes: [node])],
        reason: "10.0.0.1:7000 master online a1 is given slots 0-10 and 5-20, which overlap"),
    .init(
        name: "overlapping shards",
        reply: [
            shard(slots: [0, 10], nodes: [shardNode(id: "a")]),
            shard(slots: [10, 20], nodes: [shardNode(id: "b", port: 7001)]),
        ],
        reason: "slot 10 is served by both 10.0.0.1:7000 master online a and 10.0.0.1:7001 master online b"),
    .init(
        name: "nodes is not an array", reply: [.map([("slots", [0, 1]), ("nodes", "x")])],
        reason: "the nodes of shard 1 is \"x\", not an array"),
    .init(name: "node is a string", reply: [shard(slots: [0, 1], nodes: ["x"])], reason: "shard 1, node 1 is \"x\", not a map"),
    .init(
        name: "node without id", reply: [shard(slots: [0, 1], nodes: [.map([("port", 7000), ("ip", "h"), ("role", "master")])])],
        reason: "shard 1, node 1 has no \"id\""),
    .init(
        name: "node with empty id", reply: [shard(slots: [0, 1], nodes: [shardNode(id: "")])],
        reason: "shard 1, node 1 has no \"id\""),
    .init(
        name: "node without role", reply: [shard(slots: [0, 1], nodes: [node, shardNode(role: nil)])],
        reason: "shard 1, node 2 has no \"role\""),
    .init(
        name: "unknown role", reply: [shard(slots: [0, 1], nodes: [shardNode(role: "leader")])],
        reason: "\"role\" of shard 1, node 1 is \"leader\", not master or replica"),
    .init(
        name: "role is an integer", reply: [shard(slots: [0, 1], nodes: [shardNode(role: 1)])],
        reason: "\"role\" of shard 1, node 1 is (integer) 1, not a string"),
    .init(
        name: "no port", reply: [shard(slots: [0, 1], nodes: [shardNode(port: nil)])],
        reason: "shard 1, node 1 has neither \"port\" nor \"tls-port\""),
    .init(
        name: "port zero", reply: [shard(slots: [0, 1], nodes: [shardNode(port: 0)])],
        reason: "\"port\" of shard 1, node 1 is 0, not a port number (1-65535)"),
    .init(
        name: "port too large", reply: [shard(slots: [0, 1], nodes: [shardNode(port: 65536)])],
        reason: "\"port\" of shard 1, node 1 is 65536, not a port number (1-65535)"),
    .init(
        name: "port is text", reply: [shard(slots: [0, 1], nodes: [shardNode(port: "abc")])],
        reason: "\"port\" of shard 1, node 1 is \"abc\", not an integer"),
    .init(
        name: "tls-port is negative", reply: [shard(slots: [0, 1], nodes: [shardNode(extra: [("tls-port", -5)])])],
        reason: "\"tls-port\" of shard 1, node 1 is -5, not a port number (1-65535)"),
    .init(
        name: "no address at all", reply: [shard(slots: [0, 1], nodes: [shardNode(ip: nil, endpoint: nil)])],
        reason: "shard 1, node 1 has no usable endpoint (none) and no IP address"),
    .init(
        name: "question mark endpoint and empty ip", reply: [shard(slots: [0, 1], nodes: [shardNode(ip: "", endpoint: "?")])],
        reason: "shard 1, node 1 has no usable endpoint (\"?\") and no IP address"),
    .init(
        name: "endpoint is an array", reply: [shard(slots: [0, 1], nodes: [shardNode(endpoint: ["h"])])],
        reason: "\"endpoint\" of shard 1, node 1 is [\"h\"], not a string"),
    .init(
        name: "replication offset is text", reply: [shard(slots: [0, 1], nodes: [shardNode(extra: [("replication-offset", "x")])])],
        reason: "\"replication-offset\" of shard 1, node 1 is \"x\", not an integer"),
    .init(
        name: "slots without a master", reply: [shard(slots: [0, 5, 7, 9], nodes: [shardNode(role: "replica")])],
        reason: "shard 1 serves slots 0-5 7-9 but lists no master"),
    .init(
        name: "slots without any node", reply: [shard(slots: [0, 5], nodes: [])],
        reason: "shard 1 serves slots 0-5 but lists no master"),
    .init(
        name: "second shard broken", reply: [shard(slots: [0, 5], nodes: [node]), shard(slots: [6], nodes: [node])],
        reason: "the slots of shard 2 are 1 numbers, not start-end pairs"),
]

private let malformedSlots: [MalformedClusterReply] = [
    .init(name: "not an array", reply: 7, reason: "the reply is (integer) 7, not an array"),
    .init(name: "entry is a string", reply: ["x"], reason: "entry 1 is \"x\", not an array"),
    .init(name: "entry without master", reply: [[0, 5]], reason: "entry 1 has 2 elements, not start, end and a master"),
    .init(
        name: "slot past 16383", reply: [[0, 20000, ["h", 7000, "id"]]],
        reason: "the end of the slot range of entry 1 is 20000, not a slot (0-16383)"),
    .init(
        name: "backwards range", reply: [[5, 0, ["h", 7000, "id"]]],
        reason: "the slot range of entry 1 runs backwards, from 5 to 0"),
    .init(
        name: "start is null", reply: [[.null, 0, ["h", 7000, "id"]]],
        reason: "the start of the slot range of entry 1 is (nil), not an integer"),
    .init(name: "master is a string", reply: [[0, 5, "h:7000"]], reason: "the master of entry 1 is \"h:7000\", not an array"),
    .init(
        name: "master without port", reply: [[0, 5, ["h"]]],
        reason: "the master of entry 1 has 1 elements, not an endpoint and a port"),
    .init(
        name: "port is text", reply: [[0, 5, ["h", "port", "id"]]],
        reason: "the port of the master of entry 1 is \"port\", not an integer"),
    .init(
        name: "port out of range", reply: [[0, 5, ["h", 0, "id"]]],
        reason: "the port of the master of entry 1 is 0, not a port number (1-65535)"),
    .init(
        name: "endpoint is an integer", reply: [[0, 5, [1, 7000, "id"]]],
        reason: "the endpoint of the master of entry 1 is (integer) 1, not a string"),
    .init(
        name: "id is an array", reply: [[0, 5, ["h", 7000, []]]],
        reason: "the id of the master of entry 1 is [], not a string"),
    .init(
        name: "metadata is an integer", reply: [[0, 5, ["h", 7000, "id", 3]]],
        reason: "the metadata of the master of entry 1 is (integer) 3, not a map"),
    .init(
        name: "metadata ip is an integer", reply: [[0, 5, ["h", 7000, "id", .map([("ip", 4)])]]],
        reason: "\"ip\" of the master of entry 1 is (integer) 4, not a string"),
    .init(
        name: "broken replica", reply: [[0, 5, ["h", 7000, "id"], ["r", 70000, "rid"]]],
        reason: "the port of replica 1 of entry 1 is 70000, not a port number (1-65535)"),
    .init(
        name: "question mark endpoint without ip", reply: [[0, 5, ["?", 7000, "id", .map([("hostname", "")])]]],
        reason: "the master of entry 1 has no usable endpoint (\"?\") and no IP address"),
    .init(
        name: "overlap within one master", reply: [[0, 10, ["h", 7000, "id"]], [5, 20, ["h", 7000, "id"]]],
        reason: "h:7000 master id is given slots 0-10 and 5-20, which overlap"),
    .init(
        name: "overlap between masters", reply: [[0, 10, ["h", 7000, "a"]], [10, 20, ["h", 7001, "b"]]],
        reason: "slot 10 is served by both h:7000 master a and h:7001 master b"),
    .init(
        name: "second entry broken", reply: [[0, 10, ["h", 7000, "a"]], [11, 20]],
        reason: "entry 2 has 2 elements, not start, end and a master"),
]

@Suite struct MalformedClusterReplyTests {
    @Test(arguments: malformedShards.map { ("CLUSTER SHARDS", $0) } + malformedSlots.map { ("CLUSTER SLOTS", $0) })
    func malformedClusterRepliesAreRefusedWithTheReason(source: String, malformed: MalformedClusterReply) throws {
        for version in malformed.versions {
            let error = #expect(throws: RedisClusterTopologyError.self, "\(version)") {
                let reply = try malformed.reply.token(version)
                _ = try source == "CLUSTER SHARDS"
                    ? RedisClusterTopology(shardsReply: reply) : RedisClusterTopology(slotsReply: reply)
            }
            #expect(error?.source == source)
            #expect(error?.reason == malformed.reason, "\(version)")
            #expect(error?.description == "invalid \(source) reply: \(malformed.reason)")
            #expect(error?.serverError == nil)
        }
    }

    @Test(arguments: [
        "ERR unknown subcommand 'SHARDS'. Try CLUSTER HELP.",
        "ERR This instance has cluster support disabled",
        "CLUSTERDOWN The cluster is down",
    ])
    func errorRepliesKeepTheServerError(message: String) throws {
        for version in ReplyValue.Version.allCases {
            let reply = try ReplyValue.error(message).token(version)
            let shards = #expect(throws: RedisClusterTopologyError.self) { try RedisClusterTopology(shardsReply: reply) }
            #expect(shards?.serverError == RedisServerError(message: message))
            #expect(shards?.reason == "the server answered with an error: \(message)")
            let slots = #expect(throws: RedisClusterTopologyError.self) { try RedisClusterTopology(slotsReply: reply) }
            #expect(slots?.serverError?.message == message)
        }
    }

    @Test func aCapturedReplyCutShortIsNotAReply() {
        // RESPToken refuses incomplete bytes before the topology sees them; a truncated capture cannot parse.
        var bytes = CapturedClusterReplies.shardsRESP3.bytes
        bytes.removeLast(40)
        #expect(throws: RESPParsingError.self) { try RESPToken(validating: ByteBuffer(string: bytes)) }
    }

    @Test func clusterShardsReplyIsNotAClusterSlotsReplyNorTheOtherWayRound() throws {
        let shards = try CapturedClusterReplies.shardsRESP3.token()
        let slots = try CapturedClusterReplies.slotsRESP3.token()
        let asSlots = #expect(throws: RedisClusterTopologyError.self) { try RedisClusterTopology(slotsReply: shards) }
        #expect(asSlots?.reason.hasPrefix("entry 1 is {") == true)
        let asShards = #expect(throws: RedisClusterTopologyError.self) { try RedisClusterTopology(shardsReply: slots) }
        #expect(asShards?.reason == "shard 1 has the key (integer) 0, not a string")
    }
}
