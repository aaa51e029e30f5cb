import Detection
import RESP
import RedisClient

extension TopCollector {
    /// The bans in force, newest first, from the ban details hash (``WorkerSettings/banInfoKey``): the whole hash
    /// with `HGETALL` when it holds at most ``Limits/bans`` fields, else that many from `HSCAN`, said in a note.
    /// A ban without a recorded start (made before the details were kept) cannot be placed and is left out.
    func readBlocks(on client: some RedisCommandExecutor, into snapshot: inout TopSnapshot) async throws {
        let key = settings.banInfoKey
        let total = Int(try await client.send("HLEN", key).throwingServerError().int ?? 0)
        var pairs: [(String, String)] = []
        if total <= limits.bans {
            pairs = Self.pairs(of: try await client.send("HGETALL", key).throwingServerError())
        } else {
            var cursor = "0"
            repeat {
                let reply = try await client.send("HSCAN", key, cursor, "COUNT", 1000).throwingServerError()
                let parts = reply.array.map(Array.init) ?? []
                guard parts.count == 2, let next = parts[0].string else {
                    throw RedisError.unexpectedReply(command: "HSCAN", reply: "\(reply)")
                }
                pairs += Self.pairs(of: parts[1])
                cursor = next
            } while cursor != "0" && pairs.count < limits.bans
            snapshot.blocksNote = "partial: the newest of \(pairs.count) of \(total) bans read"
        }
        var blocks: [TopSnapshot.Block] = []
        for (unit, value) in pairs {
            let details = BanDetails(value)
            guard let since = details.since else { continue }
            blocks.append(
                TopSnapshot.Block(
                    unit: unit, since: since, rule: details.rule, offence: details.offence, isManual: details.isManual))
        }
        blocks.sort { $0.since != $1.since ? $0.since > $1.since : $0.unit < $1.unit }
        snapshot.latestBlocks = blocks
    }

    /// The field/value pairs of a hash reply: a RESP3 map, or a RESP2 flat array.
    static func pairs(of reply: RESPToken) -> [(String, String)] {
        if let map = reply.map {
            return map.compactMap { key, value in key.string.flatMap { key in value.string.map { (key, $0) } } }
        }
        let flat = (reply.array.map(Array.init) ?? []).map { $0.string ?? "" }
        return stride(from: 0, to: flat.count - 1, by: 2).map { (flat[$0], flat[$0 + 1]) }
    }
}
