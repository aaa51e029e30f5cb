import Detection
import NIOCore
import RESP
import RedisClient
import Synchronization

/// At-least-once consumption: every batch is moved, atomically, from the queue into a hash of the worker's
/// own, and deleted from there only after its counts are written.
///
/// The hash (``WorkerSettings/processingKey(shardKey:)``) maps a batch name, chosen by the worker before the move,
/// to the batch's entries packed as one MessagePack array. That makes every step safe to repeat when a reply
/// is lost: a repeated move finds the field it already wrote and returns it instead of taking more, and a
/// repeated release deletes nothing else. One packed value per batch, rather than a list of its own, keeps
/// the move cheap for Redis: one allocation instead of one per entry, to write and again to free.
///
/// When the queue is empty the worker blocks in `BLMOVE` into a landing list
/// (``WorkerSettings/landingKey(shardKey:)``), so even the first entry after a quiet spell is never only in
/// memory; the next move takes it from there together with whatever else arrived. `BLMOVE` replies with that entry
/// whole, so an entry over the connection's bulk limit fails the pop and costs a reconnect, but stays in the landing
/// list, and the next move, which runs before any blocking, takes it cut short.
///
/// A sharded queue has a processing hash and a landing list per shard, in the shard's hash slot (the script
/// touches all three, which a Redis Cluster allows only within one slot). Pops go round the shards
/// (``ShardCursor``): each pop takes a batch from the first shard that has entries, starting after the shard of
/// the previous batch; when none has any, the worker blocks on one shard for at most ``PopArguments/shardedBlockLimit``
/// and tries them all again, so an entry in another shard waits at most about that long.
final class ProcessingQueuePopper: BatchSource {
    /// The keys of one shard: the queue list, and this worker's processing hash and landing list for it.
    struct ShardKeys: Sendable {
        let queue: String
        let processing: String
        let landing: String
    }

    let client: RedisRouter
    let shards: [ShardKeys]
    let arguments: PopArguments
    /// Distinguishes this run's batch names from a previous run's, whose batches may still await recovery.
    let runTag: String
    /// Batch names: the number in the next fresh name, and the name each shard must be asked with again after
    /// a move on it failed. A failed move may have taken a batch whose reply was lost; asking that shard again
    /// with the same name returns that batch instead of taking another.
    private let names = Mutex(BatchNames())
    private let cursor: ShardCursor

    struct BatchNames {
        var sequence: UInt64 = 1
        var pending: [Int: String] = [:]
    }

    /// Creates the popper for `settings.workerID`; `runTag` must differ between runs of the same worker.
    init(client: RedisRouter, settings: WorkerSettings, runTag: String) {
        self.client = client
        self.shards = settings.shards.keys.map { key in
            ShardKeys(
                queue: key, processing: settings.processingKey(shardKey: key),
                landing: settings.landingKey(shardKey: key))
        }
        self.arguments = PopArguments(settings: settings)
        self.runTag = runTag
        self.cursor = ShardCursor(count: shards.count)
    }

    /// The processing hashes, for messages.
    var processingKeys: [String] { shards.map(\.processing) }

    /// Takes a batch from the first shard that has one, starting at the cursor; blocks on one shard when none has.
    ///
    /// A shard whose move fails is passed over for this round (``ShardCursor/firstResult(_:)``).
    func pop() async throws -> PoppedBatch {
        let found = try await cursor.firstResult { shard -> PoppedBatch? in
            let (entries, name) = try await take(from: shard)
            return entries.isEmpty ? nil : PoppedBatch(entries: entries, receipt: BatchReceipt(shard: shard, name: name))
        }
        if let found { return found }
        let shard = cursor.current
        defer { cursor.settled(shard) }
        let keys = shards[shard]
        let moved = try await client.sendBlocking(
            RESPCommand(
                "BLMOVE", keys.queue, keys.landing, arguments.end, "RIGHT", arguments.blockTimeoutArgument),
            key: keys.queue, blockFor: arguments.blockTimeout)
        if moved.isNull { return .empty }
        let (entries, name) = try await take(from: shard)
        return entries.isEmpty ? .empty : PoppedBatch(entries: entries, receipt: BatchReceipt(shard: shard, name: name))
    }

    /// Runs the move script on shard `index` under the name that shard must use: the one of a failed move on it,
    /// else a fresh one. A name that took a batch, or that may have, is never given to another move.
    private func take(from index: Int) async throws -> (entries: [ByteBuffer], name: String) {
        let name = names.withLock { $0.pending[index] ?? "\(runTag)-\($0.sequence)" }
        let entries: [ByteBuffer]
        do {
            entries = try await take(from: index, into: name)
        } catch {
            names.withLock { names in
                if names.pending[index] == nil {
                    names.pending[index] = name
                    names.sequence += 1
                }
            }
            throw error
        }
        names.withLock { names in
            let wasPending = names.pending.removeValue(forKey: index) != nil
            if !entries.isEmpty && !wasPending { names.sequence += 1 }
        }
        return (entries, name)
    }

    func acknowledge(_ batch: PoppedBatch) async throws {
        guard let receipt = batch.receipt else { return }
        try await release(receipt)
    }

    /// The unfinished batches a previous run of this worker left behind, in every shard's processing hash.
    func unfinishedBatches() async throws -> [BatchReceipt] {
        var receipts: [BatchReceipt] = []
        for (index, keys) in shards.enumerated() {
            let reply = try await client.send(RESPCommand("HKEYS", keys.processing), key: keys.processing)
            for name in reply.array?.compactMap(\.string) ?? [] {
                receipts.append(BatchReceipt(shard: index, name: name))
            }
        }
        return receipts
    }

    /// The entries of an unfinished batch, to be counted again and then released with ``release(_:)``; empty
    /// when there is no such batch, nil when its value is not a batch (written by something else), since
    /// retrying could never read it.
    func entries(of receipt: BatchReceipt) async throws -> [ByteBuffer]? {
        let processing = shards[receipt.shard].processing
        let reply: RESPToken
        do {
            reply = try await client.evaluate(
                Self.readScript, keys: [processing], arguments: [receipt.name, String(PopArguments.cutLength)])
        } catch RedisError.server(let error) where !error.isTransient && error.code != "MOVED" && error.code != "ASK" {
            return nil
        }
        guard let list = reply.array else { return nil }
        return PopArguments.payloads(of: list)
    }

    /// Deletes a batch. Deleting twice is harmless.
    func release(_ receipt: BatchReceipt) async throws {
        let processing = shards[receipt.shard].processing
        _ = try await client.send(RESPCommand("HDEL", processing, receipt.name), key: processing)
    }

    /// Runs the move script on shard `index` into the batch `name`; empty when both the shard's landing list and
    /// its queue are empty.
    private func take(from index: Int, into name: String) async throws -> [ByteBuffer] {
        let keys = shards[index]
        let reply = try await client.evaluate(
            Self.takeScript, keys: [keys.queue, keys.processing, keys.landing],
            arguments: [String(arguments.batchSize), arguments.end, name, String(PopArguments.cutLength)])
        guard let list = reply.array else { return [] }
        return try arguments.payloads(of: list, command: "move script (\(arguments.batchSize) entries asked)")
    }

    /// Moves up to ARGV[1] entries into the field ARGV[3] of the processing hash, or returns that batch as it
    /// is when it already exists (the previous call's reply was lost).
    ///
    /// KEYS: queue, processing hash, landing list. ARGV: most entries, LEFT|RIGHT, batch name, cut length. The
    /// landing list is emptied first: its entry was popped before any of the queue's. Both are popped with a count,
    /// never trimmed, so the worker's ACL needs no `LTRIM` on the queue. Entries longer than the cut length are cut
    /// to it before they are stored, so a 64 MB entry costs the worker 257 bytes, not 64 MB, and is still refused
    /// and counted as too long; a batch stored by an older version is cut when it is returned.
    static let takeScript = RedisScript(
        PopArguments.cutFunction(cutArgument: 4) + """

        local packed = redis.call('HGET', KEYS[2], ARGV[3])
        if packed then return cutLong(cmsgpack.unpack(packed)) end
        local most = tonumber(ARGV[1])
        local entries = redis.call('LPOP', KEYS[3], most) or {}
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
        cutLong(entries)
        redis.call('HSET', KEYS[2], ARGV[3], cmsgpack.pack(entries))
        return entries
        """)

    /// Returns the entries of batch ARGV[1] in the processing hash KEYS[1], entries longer than ARGV[2] bytes cut
    /// to that length (a batch an older version stored may hold them), or an empty array.
    static let readScript = RedisScript(
        PopArguments.cutFunction(cutArgument: 2) + """

        local packed = redis.call('HGET', KEYS[1], ARGV[1])
        if not packed then return {} end
        return cutLong(cmsgpack.unpack(packed))
        """)
}
