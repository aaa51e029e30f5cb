import Detection
import RESP
import RedisClient

/// The benchmark's own connection for everything but feeding and subscribing: resetting between runs,
/// `LLEN`, `INFO`, and counting what the worker left in Redis.
///
/// On the private server a reset is `FLUSHDB`; on a server given with `--url` it only deletes the keys under
/// ``WorkerBenchPlan/namespace`` (`SCAN` + `UNLINK`) and never flushes anything.
struct BenchRedisControl: Sendable {
    /// The connection (a long command timeout: flushing millions of entries takes a while).
    let connection: RedisConnection
    /// Whether the server is the benchmark's private one, which it may flush.
    let ownsServer: Bool

    /// Empties the database (private server) or the benchmark's namespace (any other server).
    func reset() async throws {
        if ownsServer {
            _ = try await connection.send("FLUSHDB").throwingServerError()
            return
        }
        let keys = try await scan(matching: WorkerBenchPlan.namespace + "*")
        _ = try await sumOverSlices(of: keys) { slice in
            Int(try await connection.send("UNLINK", Array(slice)).throwingServerError().int ?? 0)
        }
    }

    /// `LLEN key`.
    func length(of key: String) async throws -> Int {
        Int(try await connection.send("LLEN", key).throwingServerError().int ?? 0)
    }

    /// The fields of `INFO section`.
    func info(_ section: String) async throws -> [String: String] {
        let text = try await connection.send("INFO", section).throwingServerError().string ?? ""
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        return fields
    }

    /// `INFO commandstats`: calls and microseconds per command so far.
    func commandCounts() async throws -> WorkerBenchReport.CommandCounts {
        var counts = WorkerBenchReport.CommandCounts(calls: [:], microseconds: [:])
        for (field, value) in try await info("commandstats") where field.hasPrefix("cmdstat_") {
            let name = String(field.dropFirst("cmdstat_".count))
            for pair in value.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, let number = Int(parts[1]) else { continue }
                if parts[0] == "calls" { counts.calls[name] = number }
                if parts[0] == "usec" { counts.microseconds[name] = number }
            }
        }
        return counts
    }

    /// `used_memory` of `INFO memory`, bytes.
    func usedMemory() async throws -> Int {
        Int(try await info("memory")["used_memory"] ?? "") ?? 0
    }

    /// Every key matching `pattern`, by `SCAN`.
    func scan(matching pattern: String) async throws -> [String] {
        var keys: [String] = []
        var cursor = "0"
        repeat {
            let reply = try await connection.send("SCAN", cursor, "MATCH", pattern, "COUNT", 10_000).throwingServerError()
            let parts = reply.array.map { Array($0) } ?? []
            guard parts.count == 2, let next = parts[0].string else {
                throw RedisError.unexpectedReply(command: "SCAN", reply: "\(reply)")
            }
            cursor = next
            if let page = parts[1].array { keys += page.compactMap(\.string) }
        } while cursor != "0"
        return keys
    }

    /// The sum of the integer values of `keys` (`MGET` in slices); missing keys count 0.
    func sumOfValues(_ keys: [String]) async throws -> Int {
        try await sumOverSlices(of: keys) { slice in
            let reply = try await connection.send("MGET", Array(slice)).throwingServerError()
            return (reply.array.map { Array($0) } ?? []).reduce(0) { $0 + Int($1.int ?? 0) }
        }
    }

    /// The number of events the rolling logs `keys` hold (pipelined `GET`s in slices, decoded as
    /// ``RollingEventLog``); a sorted set (a rule whose cap exceeds the packed limit) counts its members.
    func sumOfRollingEvents(_ keys: [String]) async throws -> Int {
        try await sumOverSlices(of: keys) { slice in
            var encoder = RESPCommandEncoder()
            for key in slice { encoder.encode("GET", key) }
            var sum = 0
            for (key, reply) in zip(slice, try await connection.pipeline(encoder)) {
                if reply.isError {
                    sum += Int(try await connection.send("ZCARD", key).throwingServerError().int ?? 0)
                } else if let bytes = reply.bytes {
                    sum += RollingEventLog.decode(bytes.readableBytesView)?.count ?? 0
                }
            }
            return sum
        }
    }

    /// Over the hashes `keys`: the sum of every field's value and the number of fields (pipelined `HVALS` in slices).
    func sumOfHashValues(_ keys: [String]) async throws -> (sum: Int, fields: Int) {
        var fields = 0
        let sum = try await sumOverSlices(of: keys) { slice in
            var encoder = RESPCommandEncoder()
            for key in slice { encoder.encode("HVALS", key) }
            var sum = 0
            for reply in try await connection.pipeline(encoder) {
                let values = try reply.throwingServerError().array.map { Array($0) } ?? []
                fields += values.count
                sum += values.reduce(0) { $0 + (Int($1.string ?? "") ?? 0) }
            }
            return sum
        }
        return (sum, fields)
    }

    /// The sum of `body` over slices of at most 1,000 keys, so no single command or pipeline grows with the run.
    private func sumOverSlices(
        of keys: [String], _ body: (ArraySlice<String>) async throws -> Int
    ) async throws -> Int {
        var total = 0
        var start = 0
        while start < keys.count {
            let end = min(start + 1000, keys.count)
            total += try await body(keys[start..<end])
            start = end
        }
        return total
    }
}
