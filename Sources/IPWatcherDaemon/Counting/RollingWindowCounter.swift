import Detection
import NIOCore
import RESP
import RedisClient

/// Rolling windows: a sorted set per unit and window length holding event times, trimmed to the window and capped in size.
///
/// For each unit, the script drops members older than the window, adds the batch's events, reads the count
/// and expires the key after a window of silence. Members are `time:tag:n` so that events in the same
/// millisecond stay distinct. The set keeps at most threshold+1 newest members: enough to know that a unit is
/// over the threshold, so a flood costs O(threshold) memory, not O(requests). One call handles a chunk of
/// units, so the per-command cost of Redis is paid once per chunk rather than once per unit.
///
/// A call repeated after a lost reply or a refused key adds no event twice: the members it adds are named by
/// the batch's tag, so they are already there. Only its "before" count then includes the batch's own events.
struct RollingWindowCounter: WindowCounter {
    let keys: KeySchema

    /// Units per script call: bounds how long one call holds Redis.
    static let chunkSize = 200

    /// Repeating a call adds nothing: its members are named by the batch's tag, so `ZADD` finds them there.
    static let usesMarker = false

    /// The reply holds each unit's count before and after the call: the set may have been trimmed, so the
    /// count before is not the one after minus the batch's events.
    static let repliesBefore = true

    var keyDescription: String { keys.rollingKeyPrefix + "…" }

    /// KEYS: the units' sets. ARGV: now, window ms, cap, tag, then for each key the number of its events
    /// followed by the event times. Returns before and after counts, two per key.
    static let script = RedisScript(
        """
        local now = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        local cap = tonumber(ARGV[3])
        local tag = ARGV[4]
        local cutoff = '(' .. (now - window)
        local out = {}
        local a = 5
        for k = 1, #KEYS do
            local key = KEYS[k]
            local n = tonumber(ARGV[a])
            a = a + 1
            local trimmed = redis.pcall('ZREMRANGEBYSCORE', key, '-inf', cutoff)
            if type(trimmed) == 'table' then return redis.error_reply(trimmed.err .. ' (key ' .. key .. ')') end
            local before = redis.call('ZCARD', key)
            local args = {}
            for i = 1, n do
                local t = ARGV[a]
                a = a + 1
                args[#args + 1] = t
                args[#args + 1] = t .. ':' .. tag .. ':' .. k .. ':' .. i
                if #args >= 1000 then
                    redis.call('ZADD', key, unpack(args))
                    args = {}
                end
            end
            if #args > 0 then redis.call('ZADD', key, unpack(args)) end
            local after = redis.call('ZCARD', key)
            if after > cap then redis.call('ZREMRANGEBYRANK', key, 0, after - cap - 1) end
            redis.call('PEXPIRE', key, window)
            out[#out + 1] = before
            out[#out + 1] = after
        end
        return out
        """)

    func key(of group: UnitCount, in batch: CounterBatch) -> String {
        keys.rollingKey(unitName: group.unit.name, windowSeconds: batch.counter.windowSeconds)
    }

    func encode(
        _ slice: ArraySlice<UnitCount>, of batch: CounterBatch, marker: String?, head: RedisScriptCall,
        into encoder: inout RESPCommandEncoder
    ) {
        let windowSeconds = batch.counter.windowSeconds
        encoder.encode(
            head, slice.count, RollingKeys(groups: slice, prefix: keys.rollingKeyPrefix(windowSeconds: windowSeconds)),
            batch.now, FixedWindow(lengthSeconds: windowSeconds).lengthMilliseconds, batch.rollingCap, batch.tag,
            EventTimes(groups: slice))
    }

}

/// The rolling-window keys of a chunk of units.
private struct RollingKeys: RESPArgument {
    let groups: ArraySlice<UnitCount>
    let prefix: String

    var respArgumentCount: Int { groups.count }

    func encodeRESP(into buffer: inout ByteBuffer) {
        for group in groups {
            UnitKeyArgument(prefix: prefix, unit: group.unit).encodeRESP(into: &buffer)
        }
    }
}

/// For each unit of a chunk: how many events, then their times.
private struct EventTimes: RESPArgument {
    let groups: ArraySlice<UnitCount>

    var respArgumentCount: Int { groups.reduce(0) { $0 + 1 + $1.eventTimes.count } }

    func encodeRESP(into buffer: inout ByteBuffer) {
        for group in groups {
            buffer.writeRESPBulkDecimal(Int64(group.eventTimes.count))
            for time in group.eventTimes { buffer.writeRESPBulkDecimal(time) }
        }
    }
}
