import Detection
import NIOCore
import RESP
import RedisClient
import Synchronization

/// At-least-once consumption: every batch is moved, atomically, from the queue into a list of the worker's
/// own, and deleted from there only after its counts are written.
///
/// Each batch gets its own list (``KeySchema/processingBatchKey(workerID:batch:)``), named by the worker
/// before the move, and an index of the worker's unfinished batches (``KeySchema/processingKey(workerID:)``).
/// That makes every step safe to repeat when a reply is lost: a repeated move finds the list it already filled
/// and returns it instead of taking more, and a repeated release deletes nothing else. A single shared
/// processing list trimmed by count could not promise that: a lost reply would shift every later trim.
///
/// When the queue is empty the worker blocks in `BLMOVE` into a landing list
/// (``KeySchema/landingKey(workerID:)``), so even the first entry after a quiet spell is never only in memory;
/// the next move takes it from there together with whatever else arrived.
final class ProcessingQueuePopper: BatchSource {
    let client: RedisClient
    let queueKey: String
    let side: WorkerSettings.PopSide
    let batchSize: Int
    let blockTimeout: Duration
    let keys: KeySchema
    let workerID: String
    /// Distinguishes this run's batch names from a previous run's, whose lists may still await recovery.
    let runTag: String
    /// The number in the next batch's name; advanced only when a batch was taken, so a retry reuses the name.
    private let sequence = Mutex<UInt64>(1)

    /// Creates the popper for `settings.workerID`; `runTag` must differ between runs of the same worker.
    init(client: RedisClient, settings: WorkerSettings, runTag: String) {
        self.client = client
        self.queueKey = settings.queueKey
        self.side = settings.popSide
        self.batchSize = settings.batchSize
        self.blockTimeout = settings.blockTimeout
        self.keys = settings.keys
        self.workerID = settings.workerID
        self.runTag = runTag
    }

    /// The sorted set naming this worker's unfinished batches.
    var indexKey: String { keys.processingKey(workerID: workerID) }

    /// Where `BLMOVE` drops the first entry after a quiet spell.
    var landingKey: String { keys.landingKey(workerID: workerID) }

    func pop() async throws -> PoppedBatch {
        let name = keys.processingBatchKey(workerID: workerID, batch: "\(runTag)-\(sequence.withLock { $0 })")
        var entries = try await take(into: name)
        if entries.isEmpty {
            let moved = try await client.sendBlocking(
                RESPCommand(
                    "BLMOVE", queueKey, landingKey, side == .left ? "LEFT" : "RIGHT", "RIGHT",
                    QueuePopper.blockTimeoutArgument(blockTimeout)),
                blockFor: blockTimeout)
            if moved.isNull { return .empty }
            entries = try await take(into: name)
        }
        guard !entries.isEmpty else { return .empty }
        sequence.withLock { $0 += 1 }
        return PoppedBatch(entries: entries, receipt: name)
    }

    func acknowledge(_ batch: PoppedBatch) async throws {
        guard let name = batch.receipt else { return }
        try await release(name)
    }

    /// The unfinished batches a previous run of this worker left behind, oldest first.
    ///
    /// Recovery deletes what the index names, and the index is in Redis, where anything may have been written:
    /// a name that is not one of this worker's batch lists is dropped from the index, and its key left alone.
    func unfinishedBatches() async throws -> [String] {
        let reply = try await client.send(RESPCommand("ZRANGE", indexKey, 0, -1))
        guard let names = reply.array?.compactMap(\.string) else { return [] }
        let ownPrefix = keys.processingBatchKey(workerID: workerID, batch: "")
        let isOwn = { (name: String) in name.hasPrefix(ownPrefix) && name != self.landingKey }
        let foreign = names.filter { !isOwn($0) }
        if !foreign.isEmpty {
            _ = try await client.send(RESPCommand("ZREM", indexKey, foreign)).throwingServerError()
        }
        return names.filter(isOwn)
    }

    /// The entries of an unfinished batch, to be counted again and then released with ``release(_:)``.
    func entries(ofBatch name: String) async throws -> [ByteBuffer] {
        let reply = try await client.send(RESPCommand("LRANGE", name, 0, -1))
        guard let list = reply.array else { return [] }
        return QueuePopper.payloads(of: list)
    }

    /// Deletes a batch's list and its index entry. Deleting twice is harmless.
    ///
    /// `LTRIM key 1 0` empties the list, and Redis deletes an empty list; unlike `DEL`, it needs no grant that
    /// would also let the worker's ACL user delete the queue or the blocklist.
    func release(_ name: String) async throws {
        var encoder = RESPCommandEncoder()
        encoder.encode("LTRIM", name, 1, 0)
        encoder.encode("ZREM", indexKey, name)
        for reply in try await client.pipeline(encoder) { _ = try reply.throwingServerError() }
    }

    /// Runs the move script into the list `name`; empty when both the landing list and the queue are empty.
    private func take(into name: String) async throws -> [ByteBuffer] {
        let reply = try await client.evaluate(
            Self.takeScript, keys: [queueKey, indexKey, landingKey, name],
            arguments: [String(batchSize), side == .left ? "LEFT" : "RIGHT", String(WallClock().nowMilliseconds())])
        guard let list = reply.array else { return [] }
        return QueuePopper.payloads(of: list)
    }

    /// Moves up to ARGV[1] entries into the batch list KEYS[4] and indexes it, or returns that list as it is
    /// when it already exists (the previous call's reply was lost).
    ///
    /// KEYS: queue, index, landing list, batch list. ARGV: most entries, LEFT|RIGHT, time in Unix ms.
    /// The landing list is emptied first: its entry was popped before any of the queue's. `RPUSH` takes the
    /// entries in slices because Lua's `unpack` fails beyond a few thousand values.
    static let takeScript = RedisScript(
        """
        if redis.call('EXISTS', KEYS[4]) == 1 then
            return redis.call('LRANGE', KEYS[4], 0, -1)
        end
        local most = tonumber(ARGV[1])
        local entries = redis.call('LRANGE', KEYS[3], 0, most - 1)
        if #entries > 0 then redis.call('LTRIM', KEYS[3], #entries, -1) end
        if #entries < most then
            local popped = redis.call(ARGV[2] == 'LEFT' and 'LPOP' or 'RPOP', KEYS[1], most - #entries)
            if popped then
                for i = 1, #popped do entries[#entries + 1] = popped[i] end
            end
        end
        if #entries == 0 then return entries end
        for i = 1, #entries, 1000 do
            redis.call('RPUSH', KEYS[4], unpack(entries, i, math.min(i + 999, #entries)))
        end
        redis.call('ZADD', KEYS[2], ARGV[3], KEYS[4])
        return entries
        """)
}
