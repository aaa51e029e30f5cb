import Detection
import NIOCore
import RESP
import RedisClient
import Synchronization

/// At-least-once consumption: every batch is moved, atomically, from the queue into a hash of the worker's
/// own, and deleted from there only after its counts are written.
///
/// The hash (``KeySchema/processingKey(workerID:)``) maps a batch name, chosen by the worker before the move,
/// to the batch's entries packed as one MessagePack array. That makes every step safe to repeat when a reply
/// is lost: a repeated move finds the field it already wrote and returns it instead of taking more, and a
/// repeated release deletes nothing else. One packed value per batch, rather than a list of its own, keeps
/// the move cheap for Redis: one allocation instead of one per entry, to write and again to free.
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
    let workerID: String
    /// The hash of unfinished batches.
    let processingKey: String
    /// Where `BLMOVE` drops the first entry after a quiet spell.
    let landingKey: String
    /// Distinguishes this run's batch names from a previous run's, whose batches may still await recovery.
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
        self.workerID = settings.workerID
        self.processingKey = settings.keys.processingKey(workerID: settings.workerID)
        self.landingKey = settings.keys.landingKey(workerID: settings.workerID)
        self.runTag = runTag
    }

    func pop() async throws -> PoppedBatch {
        let name = "\(runTag)-\(sequence.withLock { $0 })"
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

    /// The names of the unfinished batches a previous run of this worker left behind.
    func unfinishedBatches() async throws -> [String] {
        let reply = try await client.send(RESPCommand("HKEYS", processingKey))
        return reply.array?.compactMap(\.string) ?? []
    }

    /// The entries of an unfinished batch, to be counted again and then released with ``release(_:)``; empty
    /// when there is no such batch, nil when its value is not a batch (written by something else), since
    /// retrying could never read it.
    func entries(ofBatch name: String) async throws -> [ByteBuffer]? {
        let reply: RESPToken
        do {
            reply = try await client.evaluate(Self.readScript, keys: [processingKey], arguments: [name])
        } catch RedisError.server(let error) where !error.isTransient {
            return nil
        }
        guard let list = reply.array else { return nil }
        return QueuePopper.payloads(of: list)
    }

    /// Deletes a batch. Deleting twice is harmless.
    func release(_ name: String) async throws {
        _ = try await client.send(RESPCommand("HDEL", processingKey, name)).throwingServerError()
    }

    /// Runs the move script into the batch `name`; empty when both the landing list and the queue are empty.
    private func take(into name: String) async throws -> [ByteBuffer] {
        let reply = try await client.evaluate(
            Self.takeScript, keys: [queueKey, processingKey, landingKey],
            arguments: [String(batchSize), side == .left ? "LEFT" : "RIGHT", name])
        guard let list = reply.array else { return [] }
        return QueuePopper.payloads(of: list)
    }

    /// Moves up to ARGV[1] entries into the field ARGV[3] of the processing hash, or returns that batch as it
    /// is when it already exists (the previous call's reply was lost).
    ///
    /// KEYS: queue, processing hash, landing list. ARGV: most entries, LEFT|RIGHT, batch name. The landing
    /// list is emptied first: its entry was popped before any of the queue's.
    static let takeScript = RedisScript(
        """
        local packed = redis.call('HGET', KEYS[2], ARGV[3])
        if packed then return cmsgpack.unpack(packed) end
        local most = tonumber(ARGV[1])
        local entries = redis.call('LRANGE', KEYS[3], 0, most - 1)
        if #entries > 0 then redis.call('LTRIM', KEYS[3], #entries, -1) end
        if #entries < most then
            local popped = redis.call(ARGV[2] == 'LEFT' and 'LPOP' or 'RPOP', KEYS[1], most - #entries)
            if popped then
                if #entries == 0 then
                    entries = popped
                else
                    for i = 1, #popped do entries[#entries + 1] = popped[i] end
                end
            end
        end
        if #entries == 0 then return entries end
        redis.call('HSET', KEYS[2], ARGV[3], cmsgpack.pack(entries))
        return entries
        """)

    /// Returns the entries of batch ARGV[1] in the processing hash KEYS[1], or an empty array.
    static let readScript = RedisScript(
        """
        local packed = redis.call('HGET', KEYS[1], ARGV[1])
        if not packed then return {} end
        return cmsgpack.unpack(packed)
        """)
}
