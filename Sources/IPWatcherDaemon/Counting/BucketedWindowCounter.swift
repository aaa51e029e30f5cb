import Detection
import NIOCore
import RESP
import RedisClient

/// Fixed windows under `counters: buckets`: a window's counters are fields of a fixed number of small hashes,
/// updated with `HINCRBY`, each hash with one expiry one window after the window's end.
///
/// The same guarantees as ``FixedWindowCounter``, whose script this one follows: all or nothing per call, once
/// (an applied-marker per call), and the count before a batch is the reply minus the increment. Only the
/// expiry differs: a hash is shared by many units and calls, so it is set only where the batch's
/// ``BucketSlot/setsExpiry`` asks, once per hash per call (see ``BucketExpiryLedger``), after
/// ``expiringInEveryCall(_:)`` has marked every unit of a hash the batch claimed.
///
/// Used on a Redis Cluster, where each unit is a call of its own; a single server counts in transactions
/// (``BucketTransactionCounter``).
struct BucketedWindowCounter: WindowCounter {
    let keys: KeySchema
    /// Hashes per window.
    let buckets: Int

    /// Units per script call, as ``FixedWindowCounter/chunkSize``.
    static let chunkSize = 1000

    static let usesMarker = true

    /// The reply holds each counter's new count; the count before is that minus the increment.
    static let repliesBefore = false

    var keyDescription: String { "\(keys.prefix)buckets:…" }

    /// KEYS[1]: the call's applied-marker, then each unit's hash; ARGV[1]: the marker's expiry in Unix ms, then per
    /// unit its name, its increment and its hash's expiry (`0`: leave the expiry alone). Returns the new counts.
    ///
    /// A refused hash (a key of another type) undoes the increments before it and the marker. A field the call
    /// created stays, at 0: deleting it could delete a hash the call made and gave its expiry, which a later call
    /// of the batch that sets no expiry would then make again without one.
    static let script = RedisScript(
        """
        local out = {}
        if redis.call('INCRBY', KEYS[1], 1) > 1 then
            for i = 2, #KEYS do
                local v = redis.pcall('HGET', KEYS[i], ARGV[3 * i - 4])
                out[i - 1] = tonumber(type(v) == 'string' and v or '0') or 0
            end
            return out
        end
        redis.call('PEXPIREAT', KEYS[1], ARGV[1])
        local expired = {}
        for i = 2, #KEYS do
            local key = KEYS[i]
            local n = tonumber(ARGV[3 * i - 3])
            local v = redis.pcall('HINCRBY', key, ARGV[3 * i - 4], n)
            if type(v) == 'table' then
                for j = 2, i - 1 do redis.call('HINCRBY', KEYS[j], ARGV[3 * j - 4], -tonumber(ARGV[3 * j - 3])) end
                redis.call('INCRBY', KEYS[1], -1)
                return redis.error_reply(v.err .. ' (key ' .. key .. ')')
            end
            local expiry = ARGV[3 * i - 2]
            if expiry ~= '0' and not expired[key] then
                redis.call('PEXPIREAT', key, expiry)
                expired[key] = true
            end
            out[i - 1] = v
        end
        return out
        """)

    func encode(
        _ slice: ArraySlice<UnitCount>, of batch: CounterBatch, marker: String?, head: RedisScriptCall,
        into encoder: inout RESPCommandEncoder
    ) {
        let window = FixedWindow(lengthSeconds: batch.counter.windowSeconds)
        let markerExpiry = slice.reduce(Int64.min) { max($0, window.counterExpiry(of: $1.windowIndex)) }
        encoder.encode(
            head, slice.count + 1, marker ?? keys.appliedKey(batchTag: batch.tag, chunk: 0),
            BucketKeys(groups: slice, slots: batch.buckets, keys: keys, windowSeconds: batch.counter.windowSeconds),
            markerExpiry, NamesIncrementsAndExpiries(groups: slice, slots: batch.buckets, window: window))
    }

    /// `batch` with every unit of a hash the batch claimed set to expire it, not only the first.
    ///
    /// Calls run one by one and a refused call stops where it is, so a later call must not rely on an earlier
    /// one for a hash's expiry: its unit could be the one that creates the hash. The script sets each hash's
    /// expiry once per call, so on a cluster (one unit per call) this costs a `PEXPIREAT` per unit only in the
    /// batches that claim hashes — about one per window and ten seconds.
    static func expiringInEveryCall(_ batch: CounterBatch) -> CounterBatch {
        struct Hash: Hashable {
            var window: Int64
            var bucket: Int
        }
        var claimed = Set<Hash>()
        for (group, slot) in zip(batch.groups, batch.buckets) where slot.setsExpiry {
            claimed.insert(Hash(window: group.windowIndex, bucket: slot.bucket))
        }
        guard !claimed.isEmpty else { return batch }
        var batch = batch
        for index in batch.buckets.indices
        where claimed.contains(Hash(window: batch.groups[index].windowIndex, bucket: batch.buckets[index].bucket)) {
            batch.buckets[index].setsExpiry = true
        }
        return batch
    }

    func key(of group: UnitCount, in batch: CounterBatch) -> String {
        keys.bucketKey(
            windowSeconds: batch.counter.windowSeconds, windowIndex: group.windowIndex,
            bucket: CounterLayout.bucket(of: group.unit, count: buckets))
    }

    func clusterMarker(routingKey: String, group: UnitCount, batchTag: String) -> String {
        keys.appliedKey(
            bucket: CounterLayout.bucket(of: group.unit, count: buckets), batchTag: batchTag, unitName: group.unit.name)
    }
}

/// The hash of each unit of a chunk, written straight into the command buffer.
private struct BucketKeys: RESPArgument {
    let groups: ArraySlice<UnitCount>
    let slots: [BucketSlot]
    let keys: KeySchema
    let windowSeconds: Int

    var respArgumentCount: Int { groups.count }

    func encodeRESP(into buffer: inout ByteBuffer) {
        var prefixIndex: Int64?
        var prefix = ""
        for index in groups.indices {
            let group = groups[index]
            if group.windowIndex != prefixIndex {
                prefix = keys.bucketKeyPrefix(windowSeconds: windowSeconds, windowIndex: group.windowIndex)
                prefixIndex = group.windowIndex
            }
            BucketKeyArgument(prefix: prefix, bucket: slots[index].bucket).encodeRESP(into: &buffer)
        }
    }
}

/// Per unit of a chunk: its name (the hash's field), its increment, and its hash's expiry or `0`.
private struct NamesIncrementsAndExpiries: RESPArgument {
    let groups: ArraySlice<UnitCount>
    let slots: [BucketSlot]
    let window: FixedWindow

    var respArgumentCount: Int { groups.count * 3 }

    func encodeRESP(into buffer: inout ByteBuffer) {
        for index in groups.indices {
            let group = groups[index]
            UnitNameArgument(unit: group.unit).encodeRESP(into: &buffer)
            buffer.writeRESPBulkDecimal(Int64(group.count))
            buffer.writeRESPBulkDecimal(slots[index].setsExpiry ? window.counterExpiry(of: group.windowIndex) : 0)
        }
    }
}
