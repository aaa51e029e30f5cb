import Detection
import NIOCore
import RESP
import RedisClient

/// Rolling windows: each unit's event times in the window, one key per unit and window length, trimmed to the
/// window and capped in size.
///
/// A unit's times are a packed string (``RollingEventLog``: six bytes for the oldest, then one or two bytes per
/// later event), read and rewritten whole by the script: two Redis commands per unit and about 190 bytes of
/// Redis memory for a unit with ten events, where a sorted set of `time:tag:n` members cost five commands and
/// 600 bytes. The log keeps at most threshold+1 newest events: enough to know that a unit is over the threshold,
/// so a flood costs O(threshold) memory, not O(requests). Rules whose cap exceeds
/// ``RollingEventLog/packedEventLimit`` keep a sorted set instead, whose updates cost O(log n) where a string's
/// cost O(n); so does a key that already is a sorted set, which is how a window written before the packed
/// layout carries on after an upgrade without losing its events. One call handles a chunk of units, so the
/// per-command cost of Redis is paid once per chunk rather than once per unit.
///
/// A call repeated after a lost reply adds no event twice: it carries an applied-marker for its chunk of its
/// batch, as ``FixedWindowCounter`` does, and a repeat only reads the counts (its "before" then includes the
/// batch's own events).
struct RollingWindowCounter: WindowCounter {
    let keys: KeySchema

    /// Units per script call: bounds how long one call holds Redis.
    static let chunkSize = 200

    /// A log string is rewritten whole, so a repeated call would add its events again: the marker prevents it.
    static let usesMarker = true

    /// The reply holds each unit's count before and after the call: the log may have been trimmed, so the
    /// count before is not the one after minus the batch's events.
    static let repliesBefore = true

    var keyDescription: String { keys.rollingKeyPrefix + "…" }

    /// KEYS[1]: the call's applied-marker, then the units' logs. ARGV: the marker's expiry (Unix ms), now, window
    /// ms, cap, tag, the packed-event limit, then for each log the number of its events followed by the event
    /// times. Returns before and after counts, two per log; "after" counts the events before the cap drops the
    /// oldest, as the sorted sets always did.
    ///
    /// All or nothing, and once: every log is read before anything is written, so a key of another type refuses
    /// the call with nothing changed and the error names the key; the marker is the first write, so a server
    /// whose memory is full refuses the whole call (Redis refuses only a script's first write), and a repeat
    /// finds it set and only reads the counts.
    static let script = RedisScript(
        """
        local now = tonumber(ARGV[2])
        local window = tonumber(ARGV[3])
        local cap = tonumber(ARGV[4])
        local tag = ARGV[5]
        local packedLimit = tonumber(ARGV[6])
        local cutoff = now - window
        local byte, char, floor = string.byte, string.char, math.floor
        local function header(v)
            local hi, lo = floor(v / 16777216), v % 16777216
            return char(floor(hi / 65536) % 256, floor(hi / 256) % 256, hi % 256,
                floor(lo / 65536), floor(lo / 256) % 256, lo % 256)
        end
        local function gap(b, n, d)
            while d >= 128 do
                n = n + 1
                b[n] = d % 128 + 128
                d = floor(d / 128)
            end
            n = n + 1
            b[n] = d
            return n
        end
        local function packed(b, n)
            local parts = {}
            for i = 1, n, 4000 do parts[#parts + 1] = char(unpack(b, i, math.min(i + 3999, n))) end
            return table.concat(parts)
        end
        -- The times of s from cutoff on: how many, the oldest, the byte where the gaps after it start (nil when the
        -- oldest is the header's), the newest; with a table u, also appends them to u (the rare paths: out-of-order
        -- events, the cap).
        local function scan(s, u)
            local len = #s
            if len < 6 then return 0 end
            local b1, b2, b3, b4, b5, b6 = byte(s, 1, 6)
            local v = ((b1 * 256 + b2) * 256 + b3) * 16777216 + (b4 * 256 + b5) * 256 + b6
            local kept, oldest, from = 0, nil, nil
            if v >= cutoff then
                kept, oldest = 1, v
                if u then u[1] = v end
            end
            local d, m = 0, 1
            for i = 7, len do
                local x = byte(s, i)
                if x >= 128 then
                    d = d + (x - 128) * m
                    m = m * 128
                else
                    v = v + d + x * m
                    d, m = 0, 1
                    if oldest then
                        kept = kept + 1
                    elseif v >= cutoff then
                        kept, oldest, from = 1, v, i + 1
                    end
                    if u and oldest then u[kept] = v end
                end
            end
            return kept, oldest, from, v
        end
        local logs = {}
        for k = 2, #KEYS do
            local v = redis.pcall('GET', KEYS[k])
            if type(v) == 'table' then
                if redis.call('TYPE', KEYS[k]).ok ~= 'zset' then
                    return redis.error_reply(v.err .. ' (key ' .. KEYS[k] .. ')')
                end
                logs[k] = true
            elseif v == false and cap > packedLimit then
                logs[k] = true
            else
                logs[k] = v or ''
            end
        end
        local out = {}
        if redis.call('INCRBY', KEYS[1], 1) > 1 then
            for k = 2, #KEYS do
                local count
                if logs[k] == true then
                    redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', '(' .. cutoff)
                    count = redis.call('ZCARD', KEYS[k])
                else
                    count = scan(logs[k])
                end
                out[#out + 1] = count
                out[#out + 1] = count
            end
            return out
        end
        redis.call('PEXPIREAT', KEYS[1], ARGV[1])
        local a = 7
        for k = 2, #KEYS do
            local key = KEYS[k]
            local n = tonumber(ARGV[a])
            local first = a + 1
            a = first + n
            local before, after
            if logs[k] == true then
                redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. cutoff)
                before = redis.call('ZCARD', key)
                local args = {}
                for i = 1, n do
                    local t = ARGV[first + i - 1]
                    args[#args + 1] = t
                    args[#args + 1] = t .. ':' .. tag .. ':' .. k .. ':' .. i
                    if #args >= 1000 then
                        redis.call('ZADD', key, unpack(args))
                        args = {}
                    end
                end
                if #args > 0 then redis.call('ZADD', key, unpack(args)) end
                after = redis.call('ZCARD', key)
                if after > cap then redis.call('ZREMRANGEBYRANK', key, 0, after - cap - 1) end
                redis.call('PEXPIRE', key, window)
            else
                local log = logs[k]
                local kept, oldest, from, newest = scan(log)
                before = kept
                after = kept + n
                local last = kept > 0 and newest or nil
                local inOrder = true
                for i = first, a - 1 do
                    local x = tonumber(ARGV[i])
                    if last and x < last then
                        inOrder = false
                        break
                    end
                    last = x
                end
                local value
                if inOrder and after <= cap then
                    -- The usual case: keep the bytes of the events still in the window, add the new gaps.
                    local b, bn, v, head = {}, 0, nil, nil
                    if kept > 0 then
                        v = newest
                        head = from and header(oldest) .. string.sub(log, from) or log
                    else
                        v = tonumber(ARGV[first])
                        head = header(v)
                        first = first + 1
                    end
                    for i = first, a - 1 do
                        local x = tonumber(ARGV[i])
                        bn = gap(b, bn, x - v)
                        v = x
                    end
                    value = bn == 0 and head or head .. (bn < 4000 and char(unpack(b, 1, bn)) or packed(b, bn))
                else
                    local u = {}
                    local m = scan(log, u)
                    for i = first, a - 1 do
                        m = m + 1
                        u[m] = tonumber(ARGV[i])
                    end
                    table.sort(u)
                    local start = 1
                    if m > cap then start = m - cap + 1 end
                    local b, bn, v = {}, 0, u[start]
                    for i = start + 1, m do
                        bn = gap(b, bn, u[i] - v)
                        v = u[i]
                    end
                    value = header(u[start]) .. packed(b, bn)
                end
                redis.call('SET', key, value, 'PX', window)
            end
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
        let windowMilliseconds = FixedWindow(lengthSeconds: windowSeconds).lengthMilliseconds
        // The marker outlives every event the call adds: a repeat after that finds none left to add twice.
        let latest = slice.reduce(batch.now) { latest, group in group.eventTimes.reduce(latest, max) }
        encoder.encode(
            head, slice.count + 1, marker ?? keys.appliedKey(batchTag: batch.tag, chunk: 0),
            RollingKeys(groups: slice, prefix: keys.rollingKeyPrefix(windowSeconds: windowSeconds)),
            latest + windowMilliseconds, batch.now, windowMilliseconds, batch.rollingCap, batch.tag,
            RollingEventLog.packedEventLimit, EventTimes(groups: slice))
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
