import Detection
import RESP
import RedisClient

extension RedisCommandExecutor {
    /// The queue's length: `LLEN` of every shard in one pipeline, summed.
    func queueLength(of shards: QueueShards) async throws -> Int {
        try QueueShards.totalLength(try await pipeline(shards.keys.map { RESPCommand("LLEN", $0) }))
    }
}

extension QueueShards {
    /// The sum of `LLEN` replies; an error reply is thrown as ``RedisError/server(_:)``.
    static func totalLength(_ replies: [RESPToken]) throws -> Int {
        var total = 0
        for reply in replies { total += Int(try reply.throwingServerError().int ?? 0) }
        return total
    }
}
