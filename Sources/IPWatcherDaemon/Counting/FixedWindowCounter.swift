import Detection
import NIOCore
import RESP
import RedisClient

/// Fixed windows: one counter key per unit per window, `INCRBY` by the unit's count in the batch, and an
/// expiry one window after the window's end, when no late event can reach it any more.
///
/// Windows are numbered since the epoch, so keys never collide across hours (the tutorial used the minute
/// of the hour). The counters of a chunk of units are updated by one script call: each `INCRBY` runs inside
/// Redis without a command round of its own, and `PEXPIREAT` runs only for a key the increment just created
/// — atomically with it, so no key can be left without an expiry. That halves Redis's work for units seen
/// before in the window, which is most of them. The count before the batch is the reply minus the increment,
/// exact even with several workers: each `INCRBY` is atomic, so exactly one worker sees a unit cross the
/// threshold. Each call also sets an applied-marker for its chunk of its batch, so a call repeated after a lost
/// reply adds nothing twice (see ``script``).
struct FixedWindowCounter: WindowCounter {
    let keys: KeySchema

    /// Units per script call: bounds how long one call holds Redis (about a millisecond per thousand).
    static let chunkSize = 1000

    static let usesMarker = true

    /// The reply holds each counter's new count; the count before is that minus the increment.
    static let repliesBefore = false

    var keyDescription: String { "\(keys.prefix)fixed:…" }

    /// KEYS[1]: the call's applied-marker, then the counters; ARGV[1]: the marker's expiry in Unix ms, then per
    /// counter its increment and its expiry. Returns the new counts.
    ///
    /// All or nothing, and once: the marker is counted up first, so a call repeated after a lost reply finds it
    /// set and only reads the counts; a counter Redis refuses (a key of another type) undoes the increments
    /// before it and the marker, and the error names the key. Both undo and read stay inside the script, so no
    /// client sees a half-applied chunk. The marker is written first for another reason: Redis refuses a
    /// script's first write when memory is full, but never a later one, so a full server refuses the whole call.
    static let script = RedisScript(
        """
        local out = {}
        if redis.call('INCRBY', KEYS[1], 1) > 1 then
            for i = 2, #KEYS do
                local v = redis.pcall('GET', KEYS[i])
                out[i - 1] = tonumber(type(v) == 'string' and v or '0') or 0
            end
            return out
        end
        redis.call('PEXPIREAT', KEYS[1], ARGV[1])
        for i = 2, #KEYS do
            local n = tonumber(ARGV[2 * i - 2])
            local v = redis.pcall('INCRBY', KEYS[i], n)
            if type(v) == 'table' then
                for j = 2, i - 1 do redis.call('INCRBY', KEYS[j], -tonumber(ARGV[2 * j - 2])) end
                redis.call('INCRBY', KEYS[1], -1)
                return redis.error_reply(v.err .. ' (key ' .. KEYS[i] .. ')')
            end
            if v == n then redis.call('PEXPIREAT', KEYS[i], ARGV[2 * i - 1]) end
            out[i - 1] = v
        end
        return out
        """)

    func encode(
        _ slice: ArraySlice<UnitCount>, of batch: CounterBatch, marker: String?, head: RedisScriptCall,
        into encoder: inout RESPCommandEncoder
    ) {
        let windowSeconds = batch.counter.windowSeconds
        let window = FixedWindow(lengthSeconds: windowSeconds)
        // The marker lives as long as the longest-lived counter of the call: a repeat after that finds no
        // counter to count twice in a window that is still read.
        let markerExpiry = slice.reduce(Int64.min) { max($0, window.counterExpiry(of: $1.windowIndex)) }
        encoder.encode(
            head, slice.count + 1, marker ?? keys.appliedKey(batchTag: batch.tag, chunk: 0),
            CounterKeys(groups: slice, keys: keys, windowSeconds: windowSeconds), markerExpiry,
            IncrementsAndExpiries(groups: slice, window: window))
    }

    func key(of group: UnitCount, in batch: CounterBatch) -> String {
        keys.fixedCounterKeyPrefix(windowSeconds: batch.counter.windowSeconds, windowIndex: group.windowIndex)
            + group.unit.name
    }

}

/// The counter keys of a chunk of units, written straight into the command buffer.
private struct CounterKeys: RESPArgument {
    let groups: ArraySlice<UnitCount>
    let keys: KeySchema
    let windowSeconds: Int

    var respArgumentCount: Int { groups.count }

    func encodeRESP(into buffer: inout ByteBuffer) {
        // Almost every group of a batch falls in the same window, so its key prefix is built once.
        var prefixIndex: Int64?
        var prefix = ""
        for group in groups {
            if group.windowIndex != prefixIndex {
                prefix = keys.fixedCounterKeyPrefix(windowSeconds: windowSeconds, windowIndex: group.windowIndex)
                prefixIndex = group.windowIndex
            }
            UnitKeyArgument(prefix: prefix, unit: group.unit).encodeRESP(into: &buffer)
        }
    }
}

/// Per unit of a chunk: its increment and its counter's expiry time.
private struct IncrementsAndExpiries: RESPArgument {
    let groups: ArraySlice<UnitCount>
    let window: FixedWindow

    var respArgumentCount: Int { groups.count * 2 }

    func encodeRESP(into buffer: inout ByteBuffer) {
        for group in groups {
            buffer.writeRESPBulkDecimal(Int64(group.count))
            buffer.writeRESPBulkDecimal(window.counterExpiry(of: group.windowIndex))
        }
    }
}
