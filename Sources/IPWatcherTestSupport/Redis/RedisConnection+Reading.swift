import Detection
import RESP
import RedisClient

// The reads the tests check Redis's state with; each is one command (SCAN loops).

/// Shorthands for the commands the tests read Redis's state with.
extension RedisConnection {
    /// `SISMEMBER key member`.
    public func isMember(_ member: String, of key: String) async throws -> Bool {
        try await send("SISMEMBER", key, member).int == 1
    }

    /// The event times a rolling-window key holds, oldest first: a packed log (``RollingEventLog``) or, for a
    /// rule whose cap exceeds the packed limit, a sorted set; empty when the key does not exist.
    public func rollingEvents(at key: String) async throws -> [Int64] {
        switch try await send("TYPE", key).throwingServerError().string {
        case "string":
            let reply = try await send("GET", key).throwingServerError()
            guard let events = RollingEventLog.decode(reply.bytes.map { Array($0.readableBytesView) } ?? []) else {
                throw WaitTimedOut(description: "\(key) is a string but not a rolling log")
            }
            return events
        case "zset":
            let reply = try await send("ZRANGE", key, 0, -1, "WITHSCORES").throwingServerError()
            // RESP2 replies member, score, member, score…; RESP3 one [member, score] pair per member.
            let flat = (reply.array.map(Array.init) ?? []).flatMap { $0.array.map(Array.init) ?? [$0] }
            return stride(from: 1, to: flat.count, by: 2).compactMap { index in
                (flat[index].double ?? flat[index].string.flatMap(Double.init)).map { Int64($0) }
            }
        default:
            return []
        }
    }

    /// `SMEMBERS key`, sorted.
    public func members(of key: String) async throws -> [String] {
        let reply = try await send("SMEMBERS", key)
        return (reply.array.map { $0.compactMap(\.string) } ?? []).sorted()
    }

    /// `LPUSH key entries…` in one command, so a waiting worker pops all of them as one batch.
    public func push(_ entries: [String], to key: String = "ips") async throws {
        _ = try await send("LPUSH", key, entries).throwingServerError()
    }

    /// `LRANGE key 0 -1`.
    public func listContents(_ key: String) async throws -> [String] {
        let reply = try await send("LRANGE", key, 0, -1)
        return reply.array.map { $0.compactMap(\.string) } ?? []
    }

    /// Every key of the database, by `SCAN` with `pattern`.
    public func allKeys(matching pattern: String = "*") async throws -> [String] {
        var keys: [String] = []
        var cursor = "0"
        repeat {
            let reply = try await send("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)
            let parts = reply.array.map { Array($0) } ?? []
            guard parts.count == 2, let next = parts[0].string else {
                throw WaitTimedOut(description: "unexpected SCAN reply")
            }
            cursor = next
            keys += parts[1].array.map { $0.compactMap(\.string) } ?? []
        } while cursor != "0"
        return keys.sorted()
    }

    /// `ZSCORE key member`, nil when there is none.
    public func score(of member: String, in key: String) async throws -> Double? {
        let reply = try await send("ZSCORE", key, member)
        return reply.isNull ? nil : reply.double
    }

    /// `CLIENT LIST` as one dictionary of fields per client.
    public func clientList() async throws -> [[String: String]] {
        let text = try await send("CLIENT", "LIST").string ?? ""
        return text.split(whereSeparator: \.isNewline).map { line in
            var fields: [String: String] = [:]
            for field in line.split(separator: " ") {
                let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
            }
            return fields
        }
    }

    /// Connection ids of the clients named `name`, sorted.
    public func clientIDs(named name: String) async throws -> [String] {
        try await clientList().filter { $0["name"] == name }.compactMap { $0["id"] }.sorted()
    }
}
