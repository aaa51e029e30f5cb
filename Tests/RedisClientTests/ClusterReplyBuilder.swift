import NIOCore
import RESP

// Builds CLUSTER SHARDS / CLUSTER SLOTS replies for the topology tests, in the RESP2 or RESP3 form a server would
// send. This file declares no suite.

/// A reply value, encoded as RESP2 (maps as flat arrays of keys and values) or RESP3 (maps as maps).
indirect enum ReplyValue: Sendable, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral {
    case integer(Int64)
    case bulk(String)
    case simple(String)
    case null
    case error(String)
    case array([ReplyValue])
    case map([(String, ReplyValue)])
    /// A RESP3 attribute (`|`) in front of the value; in RESP2 the bare value.
    case attributed(ReplyValue)

    init(integerLiteral value: Int64) { self = .integer(value) }
    init(stringLiteral value: String) { self = .bulk(value) }
    init(arrayLiteral elements: ReplyValue...) { self = .array(elements) }

    enum Version: Sendable, CaseIterable { case resp2, resp3 }

    func encoded(_ version: Version) -> String {
        switch self {
        case .integer(let value): return ":\(value)\r\n"
        case .bulk(let text): return "$\(text.utf8.count)\r\n\(text)\r\n"
        case .simple(let text): return "+\(text)\r\n"
        case .null: return version == .resp3 ? "_\r\n" : "$-1\r\n"
        case .error(let text): return "-\(text)\r\n"
        case .array(let elements): return "*\(elements.count)\r\n" + elements.map { $0.encoded(version) }.joined()
        case .map(let pairs):
            let body = pairs.map { ReplyValue.bulk($0.0).encoded(version) + $0.1.encoded(version) }.joined()
            return (version == .resp3 ? "%\(pairs.count)\r\n" : "*\(pairs.count * 2)\r\n") + body
        case .attributed(let value):
            guard version == .resp3 else { return value.encoded(version) }
            return "|1\r\n+note\r\n+test\r\n" + value.encoded(version)
        }
    }

    func token(_ version: Version) throws -> RESPToken {
        try RESPToken(validating: ByteBuffer(string: encoded(version)))
    }
}

/// A `CLUSTER SHARDS` node map with the fields Redis 7.0 sends, any of them replaced or removed.
func shardNode(
    id: String = "a1", port: ReplyValue? = 7000, ip: ReplyValue? = "10.0.0.1", endpoint: ReplyValue? = "10.0.0.1",
    role: ReplyValue? = "master", health: ReplyValue? = "online", extra: [(String, ReplyValue)] = []
) -> ReplyValue {
    var fields: [(String, ReplyValue)] = [("id", .bulk(id))]
    if let port { fields.append(("port", port)) }
    if let ip { fields.append(("ip", ip)) }
    if let endpoint { fields.append(("endpoint", endpoint)) }
    if let role { fields.append(("role", role)) }
    fields.append(("replication-offset", 42))
    if let health { fields.append(("health", health)) }
    return .map(fields + extra)
}

/// A `CLUSTER SHARDS` shard map.
func shard(slots: [Int64], nodes: [ReplyValue]) -> ReplyValue {
    .map([("slots", .array(slots.map { .integer($0) })), ("nodes", .array(nodes))])
}
