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
/// threshold.
struct FixedWindowCounter: WindowCounter {
    let keys: KeySchema

    /// Units per script call: bounds how long one call holds Redis (about a millisecond per thousand).
    static let chunkSize = 1000

    /// KEYS: the counters; ARGV: per key its increment and its expiry in Unix ms. Returns the new counts.
    static let script = RedisScript(
        """
        local out = {}
        for i = 1, #KEYS do
            local n = tonumber(ARGV[2 * i - 1])
            local v = redis.call('INCRBY', KEYS[i], n)
            if v == n then redis.call('PEXPIREAT', KEYS[i], ARGV[2 * i]) end
            out[i] = v
        end
        return out
        """)

    func encode(
        _ slice: ArraySlice<UnitCount>, of batch: PreparedBatch, head: RedisScriptCall, into encoder: inout RESPCommandEncoder
    ) {
        let rule = batch.detection.rule
        encoder.encode(
            head, slice.count, CounterKeys(groups: slice, keys: keys, windowSeconds: rule.windowSeconds),
            IncrementsAndExpiries(groups: slice, window: rule.fixedWindow))
    }

    func key(of group: UnitCount, in batch: PreparedBatch) -> String {
        keys.fixedCounterKeyPrefix(windowSeconds: batch.detection.rule.windowSeconds, windowIndex: group.windowIndex)
            + group.unit.name
    }

    func decode(_ replies: [RESPToken], groups: [UnitCount], chunkSize: Int)
        -> (counts: [WindowCount], errors: [RedisServerError])
    {
        var counts: [WindowCount] = []
        counts.reserveCapacity(groups.count)
        var errors: [RedisServerError] = []
        for (index, reply) in replies.enumerated() {
            if let error = reply.serverError {
                errors.append(error)
                continue
            }
            guard let values = reply.array else { continue }
            var position = index * chunkSize
            for value in values where position < groups.count {
                if let after = value.int {
                    let group = groups[position]
                    counts.append(WindowCount(group: group, before: Int(after) - group.count, after: Int(after)))
                }
                position += 1
            }
        }
        return (counts, errors)
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
