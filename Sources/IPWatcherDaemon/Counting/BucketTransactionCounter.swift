import Detection
import NIOCore
import RESP
import RedisClient

/// Fixed windows in buckets on a single server, without Lua: each chunk of units is one `MULTI`/`EXEC` block of
/// plain `HINCRBY`s, and a batch's blocks go out as one pipeline.
///
/// Measured on this project's machine, Redis spends about 70 % of a counter script's time in Lua itself —
/// calling commands from Lua and moving arguments and replies across — rather than in the commands; the same
/// updates as plain commands in a transaction cost it about half as much (BENCHMARKS.md). The guarantees are
/// those of ``BucketedWindowCounter``:
/// - **All or nothing per chunk.** Redis runs a block whole or not at all; a block it refuses to queue (`OOM`,
///   `NOPERM`, `READONLY`) runs nothing. A command refused while the block runs (a key of another type) does not
///   stop the others, so the counter undoes what they added with a second block and reports the refusal.
/// - **Once.** Each block counts up its chunk's applied-marker (``KeySchema/appliedKey(batchTag:chunk:)``) with the
///   increments. When an earlier attempt of the batch may have run but its replies were lost (`resuming`), the
///   markers are read first, and a chunk whose marker is set only reads its counts — and adds a unit's increment
///   only where the count is below it, which happens when a refused block's undo was lost with the connection.
/// - **Seen by others.** Between a partly refused block and its undo another worker may read the refused block's
///   increments; they are the batch's own requests, which the retry counts again once the cause is gone.
/// - **Expiry.** A hash's `PEXPIREAT` goes in the block of the first unit the batch's ``BucketSlot`` marks.
///
/// The marker is counted up with `INCRBY` and expired with `PEXPIREAT`, never `SET` or `DEL`, so the worker's ACL
/// user needs no command that could overwrite or delete another key; it needs `MULTI` and `EXEC`.
struct BucketTransactionCounter {
    let keys: KeySchema
    /// Hashes per window.
    let buckets: Int

    /// Units per block: bounds how long one `EXEC` holds Redis (well under a millisecond).
    static let chunkSize = 1000

    /// The command name, as bytes for the hot loop.
    private static let hincrby: [UInt8] = Array("HINCRBY".utf8)

    /// Counts `batch` on a single server and returns each unit's count before and after; nil on a Redis Cluster,
    /// where a block could not span the units' slots (``BucketedWindowCounter`` counts there).
    ///
    /// - Throws: ``BatchWriteRefusal`` when Redis refused a block for a lasting reason (after undoing what the block
    ///   did), ``RedisError/server(_:)`` for a transient one, or the connection's error.
    func count(_ batch: CounterBatch, on client: RedisRouter, resuming: Bool) async throws -> [WindowCount]? {
        guard client.isCluster == false else { return nil }
        let groups = batch.groups
        let chunks = (groups.count + Self.chunkSize - 1) / Self.chunkSize
        let window = FixedWindow(lengthSeconds: batch.counter.windowSeconds)
        var applied = [Bool](repeating: false, count: chunks)
        if resuming {
            var encoder = RESPCommandEncoder()
            for chunk in 0..<chunks { encoder.encode("GET", marker(chunk, of: batch)) }
            guard let replies = try await client.pipelineOnSingleServer(encoder) else { return nil }
            for (chunk, reply) in replies.enumerated() {
                applied[chunk] = (Int(try reply.throwingServerError().string ?? "") ?? 0) > 0
            }
        }

        var encoder = RESPCommandEncoder()
        for chunk in 0..<chunks {
            let units = range(of: chunk, in: groups.count)
            if applied[chunk] {
                for index in units { encoder.encode("HGET", key(of: index, in: batch), UnitNameArgument(unit: groups[index].unit)) }
            } else {
                encodeBlock(units, chunk: chunk, of: batch, window: window, into: &encoder)
            }
        }
        guard let replies = try await client.pipelineOnSingleServer(encoder) else { return nil }

        var counts = [WindowCount?](repeating: nil, count: groups.count)
        var position = 0
        var failure: (error: RedisServerError, key: String)?
        var undo = RESPCommandEncoder()
        var undoBlocks = 0
        var missing: [Int] = []
        for chunk in 0..<chunks {
            let units = range(of: chunk, in: groups.count)
            if applied[chunk] {
                for index in units {
                    let reply = replies[position]
                    position += 1
                    if let error = reply.serverError {
                        failure = failure ?? (error, key(of: index, in: batch))
                        continue
                    }
                    let after = Int(reply.string ?? "") ?? 0
                    // Counts only grow within a window, so a count below the unit's increment means the increment
                    // never landed: its hash was refused and the undo of that block was lost with the connection.
                    if after < groups[index].count { missing.append(index) }
                    counts[index] = WindowCount(group: groups[index], before: after - groups[index].count, after: after)
                }
                continue
            }
            let expiries = units.reduce(0) { $0 + (batch.buckets[$1].setsExpiry ? 1 : 0) }
            let queued = 2 + units.count + expiries
            let multi = replies[position]
            let exec = replies[position + queued + 1]
            let queueError = replies[(position + 1)...(position + queued)].first(where: \.isError)?.serverError
            position += queued + 2
            if let error = multi.serverError ?? queueError ?? exec.serverError {
                // Nothing of the block ran. (A refused MULTI runs the commands one by one: the marker then tells
                // the retry so, and it resumes.)
                failure = failure ?? (error, keyDescription)
                continue
            }
            guard let results = exec.array.map(Array.init), results.count == queued else {
                throw ReplySizeError(
                    command: "counter block \(chunk)", count: exec.array?.count ?? 0, allowed: .exactly(queued))
            }
            var refused: (error: RedisServerError, key: String)?
            for (offset, index) in units.enumerated() {
                if let error = results[2 + offset].serverError {
                    refused = refused ?? (error, key(of: index, in: batch))
                }
            }
            if refused == nil, let error = results.dropFirst(2 + units.count).first(where: \.isError)?.serverError {
                refused = (error, keyDescription)
            }
            if let refused {
                failure = failure ?? refused
                undo.encode("MULTI")
                undo.encode("INCRBY", marker(chunk, of: batch), -1)
                for (offset, index) in units.enumerated() where !results[2 + offset].isError {
                    undo.encode(
                        "HINCRBY", key(of: index, in: batch), UnitNameArgument(unit: groups[index].unit),
                        -groups[index].count)
                }
                undo.encode("EXEC")
                undoBlocks += 1
                continue
            }
            for (offset, index) in units.enumerated() {
                let after = Int(results[2 + offset].int ?? 0)
                counts[index] = WindowCount(group: groups[index], before: after - groups[index].count, after: after)
            }
        }
        if undoBlocks > 0, let undone = try await client.pipelineOnSingleServer(undo) {
            for reply in undone { _ = try reply.throwingServerError() }
        }
        if failure == nil, !missing.isEmpty {
            failure = try await addMissing(missing, of: batch, window: window, on: client, into: &counts)
        }
        if let failure {
            if failure.error.isTransient { throw RedisError.server(failure.error) }
            throw BatchWriteRefusal(step: .counters, key: failure.key, error: failure.error)
        }
        return counts.compactMap { $0 }
    }

    /// Adds the increments of `indices` that a resumed batch found missing, with their hashes' expiry, in one
    /// block; returns the first refusal, leaving what it refused missing for the next attempt to find again.
    ///
    /// Exact unless another worker counted the same unit between the cause's removal and this retry: its count
    /// then hides the missing increment, which is lost.
    private func addMissing(
        _ indices: [Int], of batch: CounterBatch, window: FixedWindow, on client: RedisRouter,
        into counts: inout [WindowCount?]
    ) async throws -> (error: RedisServerError, key: String)? {
        var encoder = RESPCommandEncoder()
        encoder.encode("MULTI")
        for index in indices {
            encoder.encode(
                "HINCRBY", key(of: index, in: batch), UnitNameArgument(unit: batch.groups[index].unit),
                Int64(batch.groups[index].count))
        }
        for index in indices {
            encoder.encode("PEXPIREAT", key(of: index, in: batch), window.counterExpiry(of: batch.groups[index].windowIndex))
        }
        encoder.encode("EXEC")
        guard let replies = try await client.pipelineOnSingleServer(encoder), let exec = replies.last else { return nil }
        if let error = replies.first(where: \.isError)?.serverError { return (error, keyDescription) }
        guard let results = exec.array.map(Array.init), results.count == 2 * indices.count else {
            throw ReplySizeError(command: "counter repair", count: exec.array?.count ?? 0, allowed: .exactly(2 * indices.count))
        }
        var refused: (error: RedisServerError, key: String)?
        for (offset, index) in indices.enumerated() {
            if let error = results[offset].serverError {
                refused = refused ?? (error, key(of: index, in: batch))
                continue
            }
            let after = Int(results[offset].int ?? 0)
            counts[index] = WindowCount(group: batch.groups[index], before: after - batch.groups[index].count, after: after)
        }
        return refused
    }

    /// The key named when a refusal names none.
    var keyDescription: String { "\(keys.prefix)buckets:…" }

    /// Units of chunk `chunk`.
    private func range(of chunk: Int, in count: Int) -> Range<Int> {
        chunk * Self.chunkSize..<min((chunk + 1) * Self.chunkSize, count)
    }

    /// The applied-marker of chunk `chunk`.
    private func marker(_ chunk: Int, of batch: CounterBatch) -> String {
        keys.appliedKey(batchTag: batch.tag, chunk: chunk)
    }

    /// The hash of group `index`.
    private func key(of index: Int, in batch: CounterBatch) -> String {
        keys.bucketKey(
            windowSeconds: batch.counter.windowSeconds, windowIndex: batch.groups[index].windowIndex,
            bucket: batch.buckets[index].bucket)
    }

    /// One chunk's block: `MULTI`, the marker counted up and expired, an `HINCRBY` per unit, a `PEXPIREAT` per hash
    /// the slots mark, `EXEC`.
    private func encodeBlock(
        _ units: Range<Int>, chunk: Int, of batch: CounterBatch, window: FixedWindow, into encoder: inout RESPCommandEncoder
    ) {
        let groups = batch.groups
        let marker = marker(chunk, of: batch)
        let markerExpiry = units.reduce(Int64.min) { max($0, window.counterExpiry(of: groups[$1].windowIndex)) }
        encoder.encode("MULTI")
        encoder.encode("INCRBY", marker, 1)
        encoder.encode("PEXPIREAT", marker, markerExpiry)
        var prefixIndex: Int64?
        var prefix = ""
        for index in units {
            let group = groups[index]
            if group.windowIndex != prefixIndex {
                prefix = keys.bucketKeyPrefix(windowSeconds: batch.counter.windowSeconds, windowIndex: group.windowIndex)
                prefixIndex = group.windowIndex
            }
            let bucket = batch.buckets[index].bucket
            encoder.encodeCommand(argumentCount: 4) { buffer in
                Self.hincrby.withUnsafeBufferPointer { buffer.writeRESPBulk(UnsafeRawBufferPointer($0)) }
                BucketKeyArgument(prefix: prefix, bucket: bucket).encodeRESP(into: &buffer)
                UnitNameArgument(unit: group.unit).encodeRESP(into: &buffer)
                buffer.writeRESPBulkDecimal(Int64(group.count))
            }
        }
        for index in units where batch.buckets[index].setsExpiry {
            encoder.encode("PEXPIREAT", key(of: index, in: batch), window.counterExpiry(of: groups[index].windowIndex))
        }
        encoder.encode("EXEC")
    }
}
