import RedisClient

/// The Lua scripts that change the blocklist, shared by the worker and the `blocklist` command so both
/// keep the set and its expiry index in step.
public enum BlocklistScripts {
    /// Adds a unit to the blocklist set and records its expiry, publishing an event if it was not there.
    ///
    /// KEYS[1] blocklist set, KEYS[2] expiry sorted set; ARGV: unit, expiry in Unix ms (0 = permanent),
    /// channel ('' = none), event JSON. Returns 1 when the unit was newly added, 0 when it was already there.
    ///
    /// All or nothing: when Redis refuses a step (the blocklist key holds a list, the user may not publish on
    /// the channel), the steps before it are undone and the error names the key or channel, so the block is
    /// offered again whole once the cause is gone, and no unit is left banned without its expiry.
    public static let ban = RedisScript(
        """
        local added = redis.pcall('SADD', KEYS[1], ARGV[1])
        if type(added) == 'table' then return redis.error_reply(added.err .. ' (key ' .. KEYS[1] .. ')') end
        if added == 0 then return 0 end
        local indexed
        if tonumber(ARGV[2]) > 0 then
            indexed = redis.pcall('ZADD', KEYS[2], ARGV[2], ARGV[1])
        else
            indexed = redis.pcall('ZREM', KEYS[2], ARGV[1])
        end
        if type(indexed) == 'table' then
            redis.call('SREM', KEYS[1], ARGV[1])
            return redis.error_reply(indexed.err .. ' (key ' .. KEYS[2] .. ')')
        end
        if ARGV[3] ~= '' then
            local published = redis.pcall('PUBLISH', ARGV[3], ARGV[4])
            if type(published) == 'table' then
                redis.call('SREM', KEYS[1], ARGV[1])
                if tonumber(ARGV[2]) > 0 then redis.call('ZREM', KEYS[2], ARGV[1]) end
                return redis.error_reply(published.err .. ' (key ' .. ARGV[3] .. ')')
            end
        end
        return 1
        """)

    /// Removes units whose ban expired at or before ARGV[1] (Unix ms), at most ARGV[2] per call.
    ///
    /// KEYS[1] blocklist set, KEYS[2] expiry sorted set; ARGV[3] channel ('' = none) gets one event per unit.
    /// Returns the removed units.
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
