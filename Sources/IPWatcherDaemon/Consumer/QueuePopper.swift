import Detection
import NIOCore
import RESP
import RedisClient

/// Pops a batch from the queue list: blocks until at least one entry is there, then takes up to a batch.
///
/// The batch is taken by a small script (``popScript``) that cuts every entry longer than
/// ``Detection/QueueEntryParser/maximumLength`` down to one byte more than that in Redis, so a reply is never
/// larger than the batch of short entries the worker can use, and never trips the connection's bulk limit
/// (``IPWatcherConfiguration/Redis-swift.struct/maxBulkBytes``), which would lose the batch it carried. When every
/// shard is empty, `BLMOVE key key LEFT LEFT` (`RIGHT RIGHT`) waits for an entry without taking it — the entry
/// goes back where it was — and the script then takes the batch. Redis 6.2 or later.
///
/// This is at-most-once delivery: once popped, a batch exists only in the worker's memory.
///
/// A sharded queue is popped round the shards like ``ProcessingQueuePopper`` does, the blocking wait on one shard
/// lasting at most ``PopArguments/shardedBlockLimit``.
final class QueuePopper: BatchSource {
    let client: RedisRouter
    let keys: [String]
    let arguments: PopArguments
    private let cursor: ShardCursor

    init(client: RedisRouter, settings: WorkerSettings) {
        self.client = client
        self.keys = settings.shards.keys
        self.arguments = PopArguments(settings: settings)
        self.cursor = ShardCursor(count: keys.count)
    }

    func pop() async throws -> PoppedBatch {
        PoppedBatch(entries: try await popEntries(), receipt: nil)
    }

    /// Nothing to release: the pop already removed the entries for good.
    func acknowledge(_ batch: PoppedBatch) async throws {}

    /// The next batch, or an empty array when the queue stayed empty for the block timeout.
    private func popEntries() async throws -> [ByteBuffer] {
        let found = try await cursor.firstResult { shard -> [ByteBuffer]? in
            let entries = try await popWithoutBlocking(keys[shard])
            return entries.isEmpty ? nil : entries
        }
        if let found { return found }
        let shard = cursor.current
        defer { cursor.settled(shard) }
        let key = keys[shard]
        let end = arguments.end
        let arrived = try await client.sendBlocking(
            RESPCommand("BLMOVE", key, key, end, end, arguments.blockTimeoutArgument), key: key,
            blockFor: arguments.blockTimeout)
        if arrived.isNull { return [] }
        return try await popWithoutBlocking(key)
    }

    /// Up to a batch from `key` without waiting, long entries cut short (``popScript``).
    private func popWithoutBlocking(_ key: String) async throws -> [ByteBuffer] {
        let reply = try await client.evaluate(
            Self.popScript, keys: [key],
            arguments: [String(arguments.batchSize), arguments.end, String(PopArguments.cutLength)])
        guard let list = reply.array else { return [] }
        return try arguments.payloads(of: list, command: "pop script (\(arguments.batchSize) entries asked)")
    }

    /// Pops up to ARGV[1] entries from KEYS[1] at the end ARGV[2] (LEFT|RIGHT), every entry longer than ARGV[3]
    /// bytes cut to that length; an empty array when the list is empty.
    static let popScript = RedisScript(
        PopArguments.cutFunction(cutArgument: 3) + """

            local popped = redis.call(ARGV[2] == 'LEFT' and 'LPOP' or 'RPOP', KEYS[1], tonumber(ARGV[1]))
            if not popped then return {} end
            return cutLong(popped)
            """)
}
