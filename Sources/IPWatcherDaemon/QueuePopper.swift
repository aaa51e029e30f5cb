import NIOCore
import RESP
import RedisClient
import Synchronization

/// Pops a batch from the queue list: blocks until at least one entry is there, then takes up to a batch.
///
/// Uses `BLMPOP … COUNT n` (Redis 7), which does both in one command; on older servers it falls back to
/// `BLPOP` followed by `LPOP key n-1`. The entries come back as slices of the reply, never as Strings.
///
/// This is at-most-once delivery: once popped, a batch exists only in the worker's memory.
///
/// A sharded queue is popped round the shards like ``ProcessingQueuePopper`` does: a non-blocking `LPOP key n`
/// (`RPOP`) on each shard from the cursor on, and when all are empty a blocking pop on one shard for at most
/// ``ProcessingQueuePopper/shardedBlockLimit``.
final class QueuePopper: BatchSource {
    let client: RedisRouter
    let keys: [String]
    let side: WorkerSettings.PopSide
    let batchSize: Int
    let blockTimeout: Duration
    private let cursor: ShardCursor
    /// Cleared for good the first time the server says it has no BLMPOP.
    private let useBLMPOP = Atomic<Bool>(true)

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
        if keys.count > 1 {
            let found = try await cursor.firstResult { shard -> [ByteBuffer]? in
                let entries = try await popWithoutBlocking(keys[shard])
                return entries.isEmpty ? nil : entries
            }
            if let found { return found }
        }
        let shard = cursor.current
        defer { cursor.settled(shard) }
        let key = keys[shard]
        if useBLMPOP.load(ordering: .relaxed) {
            do {
                return try await popWithBLMPOP(key)
            } catch RedisError.server(let error) where error.message.lowercased().contains("unknown command") {
                useBLMPOP.store(false, ordering: .relaxed)
            }
        }
        return try await popWithBLPOP(key)
    }

    /// The block time in seconds as Redis reads it (decimals allowed since Redis 6).
    private var timeoutArgument: String { Self.blockTimeoutArgument(blockTimeout) }

    /// `duration` in seconds with millisecond precision, at least 1 ms: what blocking commands take.
    static func blockTimeoutArgument(_ duration: Duration) -> String {
        let parts = duration.components
        let milliseconds = parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000
        return "\(Double(max(milliseconds, 1)) / 1000)"
    }

    /// Up to a batch from `key` without waiting (`LPOP key n`, Redis 6.2).
    private func popWithoutBlocking(_ key: String) async throws -> [ByteBuffer] {
        let reply = try await client.send(RESPCommand(side == .left ? "LPOP" : "RPOP", key, batchSize), key: key)
        guard let list = reply.array else { return [] }
        return Self.payloads(of: list)
    }

    private func popWithBLMPOP(_ key: String) async throws -> [ByteBuffer] {
        let command = RESPCommand(
            "BLMPOP", timeoutArgument, 1, key, side == .left ? "LEFT" : "RIGHT", "COUNT", batchSize)
        let reply = try await client.sendBlocking(command, key: key, blockFor: blockTimeout)
        // [key, [entry, entry, ...]] or null on timeout.
        guard let parts = reply.array else { return [] }
        var iterator = parts.makeIterator()
        _ = iterator.next()
        guard let list = iterator.next()?.array else { return [] }
        return Self.payloads(of: list)
    }

    private func popWithBLPOP(_ key: String) async throws -> [ByteBuffer] {
        let blocking = RESPCommand(side == .left ? "BLPOP" : "BRPOP", key, timeoutArgument)
        let reply = try await client.sendBlocking(blocking, key: key, blockFor: blockTimeout)
        guard let parts = reply.array else { return [] }
        var iterator = parts.makeIterator()
        _ = iterator.next()
        guard let first = iterator.next()?.bytes else { return [] }
        var entries = [first]
        if batchSize > 1 {
            let rest = try await client.send(
                RESPCommand(side == .left ? "LPOP" : "RPOP", key, batchSize - 1), key: key)
            if let list = rest.array { entries.append(contentsOf: Self.payloads(of: list)) }
        }
        return entries
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
