import RedisClient

/// The Lua scripts that change the blocklist, shared by the worker and the `blocklist` command so both
/// keep the set and its expiry index in step.
public enum BlocklistScripts {
    /// Adds a unit to the blocklist set, works out how long its ban lasts, records it, and publishes the event,
    /// all in one atomic step; does nothing for a unit already in the set.
    ///
    /// KEYS: [1] blocklist set, [2] expiry sorted set, [3] ban details hash, [4] the unit's offence counter.
    /// ARGV: [1] unit, [2] now (Unix ms), [3] the rule's ban in ms (0 = permanent), [4] escalation factor
    /// (1 = off: no offence is counted), [5] escalated ban cap in ms, [6] offence memory in ms, [7] spread, a
    /// fraction the length is multiplied by 1 + it, [8] channel ('' = none), [9] the event JSON without its
    /// closing brace, to which the script adds `"offence"` and `"expires_at"`, [10] the rule's name.
    /// Returns `{1, offence, expires_at}` for a new ban (offence 0 with escalation off, expires_at 0 for a
    /// permanent ban), 0 when the unit was already there.
    ///
    /// The n-th ban within the memory lasts base × factor^(n−1), capped (never below base), then spread by the
    /// given fraction, at least a second (see ``BanEscalation``);
    /// the offence counter expires `memory` after this ban ends. The details hash gets
    /// `{"rule":…,"since":…,"offence":…}` for `blocklist explain`. Numbers are written with `%.0f`, exact for
    /// Unix milliseconds.
    ///
    /// All or nothing: when Redis refuses a step (the blocklist key holds a list, the user may not publish on
    /// the channel), the steps before it are undone and the error names the key or channel, so the block is
    /// offered again whole once the cause is gone, and no unit is left banned without its expiry.
    public static let ban = RedisScript(
        """
        local function fail(reply, key) return redis.error_reply(reply.err .. ' (key ' .. key .. ')') end
        local added = redis.pcall('SADD', KEYS[1], ARGV[1])
        if type(added) == 'table' then return fail(added, KEYS[1]) end
        if added == 0 then return 0 end
        local now = tonumber(ARGV[2])
        local base = tonumber(ARGV[3])
        local factor = tonumber(ARGV[4])
        local offence = 0
        if factor > 1 then
            offence = redis.pcall('INCRBY', KEYS[4], 1)
            if type(offence) == 'table' then
                redis.call('SREM', KEYS[1], ARGV[1])
                return fail(offence, KEYS[4])
            end
        end
        local expiry = 0
        if base > 0 then
            local length = base
            if offence > 1 then length = base * factor ^ (offence - 1) end
            local cap = tonumber(ARGV[5])
            if offence > 1 and length > cap then length = math.max(base, cap) end
            length = math.floor(length * (1 + tonumber(ARGV[7])))
            if length < 1000 then length = 1000 end
            expiry = now + length
        end
        local function undo()
            redis.call('SREM', KEYS[1], ARGV[1])
            if factor > 1 then redis.call('INCRBY', KEYS[4], -1) end
        end
        local indexed
        if expiry > 0 then
            indexed = redis.pcall('ZADD', KEYS[2], expiry, ARGV[1])
        else
            indexed = redis.pcall('ZREM', KEYS[2], ARGV[1])
        end
        if type(indexed) == 'table' then
            undo()
            return fail(indexed, KEYS[2])
        end
        local since = string.format('%.0f', now)
        local details = '{"rule":' .. cjson.encode(ARGV[10]) .. ',"since":' .. since
            .. ',"offence":' .. string.format('%.0f', offence) .. '}'
        local recorded = redis.pcall('HSET', KEYS[3], ARGV[1], details)
        if type(recorded) == 'table' then
            undo()
            if expiry > 0 then redis.call('ZREM', KEYS[2], ARGV[1]) end
            return fail(recorded, KEYS[3])
        end
        if factor > 1 then
            local forget = (expiry > 0 and expiry or now) + tonumber(ARGV[6])
            redis.call('PEXPIREAT', KEYS[4], string.format('%.0f', forget))
        end
        if ARGV[8] ~= '' then
            local expires = expiry > 0 and string.format('%.0f', expiry) or 'null'
            local event = ARGV[9] .. ',"offence":' .. (factor > 1 and string.format('%.0f', offence) or 'null')
                .. ',"expires_at":' .. expires .. '}'
            local published = redis.pcall('PUBLISH', ARGV[8], event)
            if type(published) == 'table' then
                undo()
                if expiry > 0 then redis.call('ZREM', KEYS[2], ARGV[1]) end
                redis.call('HDEL', KEYS[3], ARGV[1])
                return fail(published, ARGV[8])
            end
        end
        return {1, offence, expiry}
        """)

    /// Removes units whose ban expired at or before ARGV[1] (Unix ms), at most ARGV[2] per call.
    ///
    /// KEYS[1] blocklist set, KEYS[2] expiry sorted set, KEYS[3] ban details hash (see ``ban``); ARGV[3] channel
    /// ('' = none) gets one event per unit. Returns the removed units.
    ///
    /// The event is `cjson.encode`d: a member may hold anything someone added by hand, quotes and line breaks
    /// included. cjson prints numbers with 14 significant digits, which keeps Unix milliseconds whole until the
    /// year 5138.
    public static let expire = RedisScript(
        """
        local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
        if #expired > 0 then
            redis.call('SREM', KEYS[1], unpack(expired))
            redis.call('ZREM', KEYS[2], unpack(expired))
            redis.call('HDEL', KEYS[3], unpack(expired))
            if ARGV[3] ~= '' then
                local at = tonumber(ARGV[1])
                for _, unit in ipairs(expired) do
                    redis.call('PUBLISH', ARGV[3], cjson.encode({event = 'unblock', unit = unit, at = at}))
                end
            end
        end
        return expired
        """)
}
