import Detection
import RESP
import RedisClient

/// Rolling windows: a sorted set per unit holding event times, trimmed to the window and capped in size.
///
/// One script call per unit per batch drops members older than the window, adds the batch's events, reads
/// the count and expires the key after a window of silence. Members are `time:tag:n` so that events in the
/// same millisecond stay distinct. The set keeps at most threshold+1 newest members: enough to know that a
/// unit is over the threshold, so a flood costs O(threshold) memory, not O(requests).
struct RollingWindowCounter {
    let keys: KeySchema

    /// KEYS[1] the unit's set; ARGV: now, window ms, cap, tag, then the event times.
    static let script = RedisScript(
        """
        local key = KEYS[1]
        local now = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        local cap = tonumber(ARGV[3])
        local tag = ARGV[4]
        redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (now - window))
        local before = redis.call('ZCARD', key)
        local args = {}
        for i = 5, #ARGV do
            args[#args + 1] = ARGV[i]
            args[#args + 1] = ARGV[i] .. ':' .. tag .. ':' .. (i - 4)
            if #args >= 1000 then
                redis.call('ZADD', key, unpack(args))
                args = {}
            end
        end
        if #args > 0 then redis.call('ZADD', key, unpack(args)) end
        local after = redis.call('ZCARD', key)
        if after > cap then redis.call('ZREMRANGEBYRANK', key, 0, after - cap - 1) end
        redis.call('PEXPIRE', key, window)
        return {before, after}
        """)

    /// Appends one `EVALSHA` per group; `sha` must be loaded (see ``RedisScript/load(on:)``).
    func encode(
        _ groups: [UnitCount], rule: DetectionRule, now: Int64, tag: String, sha: String,
        into encoder: inout RESPCommandEncoder
    ) {
        let windowMilliseconds = Int64(rule.windowSeconds) * 1000
        let prefix = keys.rollingKeyPrefix
        for group in groups {
            encoder.encode(
                "EVALSHA", sha, 1, UnitKeyArgument(prefix: prefix, unit: group.unit), now, windowMilliseconds,
                rule.threshold + 1, tag, group.eventTimes)
        }
    }

    /// Reads before/after counts; groups whose call failed are returned separately for a retry or a report.
    func decode(_ replies: ArraySlice<RESPToken>, groups: [UnitCount])
        -> (counts: [WindowCount], failed: [(UnitCount, RedisServerError)])
    {
        var counts: [WindowCount] = []
        counts.reserveCapacity(groups.count)
        var failed: [(UnitCount, RedisServerError)] = []
        for (group, reply) in zip(groups, replies) {
            if let error = reply.serverError {
                failed.append((group, error))
                continue
            }
            guard let pair = reply.array else { continue }
            let values = pair.compactMap(\.int)
            guard values.count == 2 else { continue }
            counts.append(WindowCount(group: group, before: Int(values[0]), after: Int(values[1])))
        }
        return (counts, failed)
    }
}
