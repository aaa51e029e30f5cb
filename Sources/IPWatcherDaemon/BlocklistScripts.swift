import RedisClient

/// The Lua scripts that change the blocklist, shared by the worker and the `blocklist` command so both
/// keep the set and its expiry index in step.
public enum BlocklistScripts {
    /// Adds a unit to the blocklist set and records its expiry, publishing an event if it was not there.
    ///
    /// KEYS[1] blocklist set, KEYS[2] expiry sorted set; ARGV: unit, expiry in Unix ms (0 = permanent),
    /// channel ('' = none), event JSON. Returns 1 when the unit was newly added, 0 when it was already there.
    public static let ban = RedisScript(
        """
        if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
            if tonumber(ARGV[2]) > 0 then
                redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
            else
                redis.call('ZREM', KEYS[2], ARGV[1])
            end
            if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
            return 1
        end
        return 0
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
