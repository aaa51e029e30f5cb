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
/// lasting at most ``ProcessingQueuePopper/shardedBlockLimit``.
final class QueuePopper: BatchSource {
    let client: RedisRouter
    let keys: [String]
    let side: WorkerSettings.PopSide
    let batchSize: Int
    let blockTimeout: Duration
    private let cursor: ShardCursor

    init(client: RedisRouter, settings: WorkerSettings) {
        self.client = client
        self.keys = settings.shards.keys
        self.side = settings.popSide
        self.batchSize = settings.batchSize
        self.blockTimeout =
            settings.queueShards > 1
            ? min(settings.blockTimeout, ProcessingQueuePopper.shardedBlockLimit) : settings.blockTimeout
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
        let end = side == .left ? "LEFT" : "RIGHT"
        let arrived = try await client.sendBlocking(
            RESPCommand("BLMOVE", key, key, end, end, timeoutArgument), key: key, blockFor: blockTimeout)
        if arrived.isNull { return [] }
        return try await popWithoutBlocking(key)
    }

    /// The block time in seconds as Redis reads it (decimals allowed since Redis 6).
    private var timeoutArgument: String { Self.blockTimeoutArgument(blockTimeout) }

    /// `duration` in seconds with millisecond precision, at least 1 ms: what blocking commands take.
    static func blockTimeoutArgument(_ duration: Duration) -> String {
        let parts = duration.components
        let milliseconds = parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000
        return "\(Double(max(milliseconds, 1)) / 1000)"
    }

    /// Up to a batch from `key` without waiting, long entries cut short (``popScript``).
    private func popWithoutBlocking(_ key: String) async throws -> [ByteBuffer] {
        let reply = try await client.evaluate(
            Self.popScript, keys: [key],
            arguments: [String(batchSize), side == .left ? "LEFT" : "RIGHT", String(Self.cutLength)])
        guard let list = reply.array else { return [] }
        return try Self.payloads(of: list, limit: batchSize, command: "pop script (\(batchSize) entries asked)")
    }

    /// What an over-long entry is cut to: one byte over the parser's limit, so it is still refused as too long,
    /// and its dead-letter copy shows how it starts.
    static let cutLength = QueueEntryParser.maximumLength + 1

    /// Lua that cuts every string of the table `entries` longer than ARGV[cutArgument] bytes down to that length.
    static func cutFunction(cutArgument: Int) -> String {
        """
        local cut = tonumber(ARGV[\(cutArgument)])
        local function cutLong(entries)
            for i = 1, #entries do
                if #entries[i] > cut then entries[i] = string.sub(entries[i], 1, cut) end
            end
            return entries
        end
        """
    }

    /// Pops up to ARGV[1] entries from KEYS[1] at the end ARGV[2] (LEFT|RIGHT), every entry longer than ARGV[3]
    /// bytes cut to that length; an empty array when the list is empty.
    static let popScript = RedisScript(
        cutFunction(cutArgument: 3) + """

            local popped = redis.call(ARGV[2] == 'LEFT' and 'LPOP' or 'RPOP', KEYS[1], tonumber(ARGV[1]))
            if not popped then return {} end
            return cutLong(popped)
            """)

    /// The bulk strings of `list` as slices, checked to be at most `limit` of them since a pop of `limit` cannot
    /// return more; a non-string element becomes an empty entry, which is rejected.
    static func payloads(
        of list: RESPToken.Array, limit: Int, command: @autoclosure () -> String
    ) throws(OversizedReplyError) -> [ByteBuffer] {
        try OversizedReplyError.check(list.count, limit: limit, command: command())
        return payloads(of: list)
    }

    /// The bulk strings of `list` as slices; a non-string element becomes an empty entry, which is rejected.
    static func payloads(of list: RESPToken.Array) -> [ByteBuffer] {
        var entries: [ByteBuffer] = []
        entries.reserveCapacity(list.count)
        for element in list {
            entries.append(element.bytes ?? ByteBuffer())
        }
        return entries
    }
}
