import RedisClient

/// The Lua scripts that change the blocklist, shared by the worker and the `blocklist` command so both
/// keep the set and its expiry index in step.
public enum BlocklistScripts {
    /// Adds a unit to the blocklist set, works out how long its ban lasts, records it, publishes the event, and
    /// bans the unit's range when enough of its units are banned, all in one atomic step; does nothing for a unit
    /// already in the set.
    ///
    /// KEYS: [1] blocklist set, [2] expiry sorted set, [3] ban details hash, [4] the unit's offence counter; with
    /// range bans on (see ``RangeBanPolicy``) also [5] the ranges set, [6] the range expiry sorted set, [7] the
    /// sorted set of units banned in the unit's range, [8] the range's offence counter.
    /// ARGV: [1] unit, [2] now (Unix ms), [3] the rule's ban in ms (0 = permanent), [4] escalation factor
    /// (1 = off: no offence is counted), [5] escalated ban cap in ms, [6] offence memory in ms, [7] spread, a
    /// fraction the length is multiplied by 1 + it, [8] channel ('' = none), [9] the event JSON without its
    /// closing brace, to which the script adds `"offence"` and `"expires_at"`, [10] the rule's name; with range
    /// bans also [11] the range (`network/length`), [12] units that ban it, [13] the range ban's spread, [14] the
    /// range's event JSON without its closing brace, to which the script adds `"units"`, `"offence"` and
    /// `"expires_at"`.
    /// Returns `{1, offence, expires_at, range_banned, range_offence, range_expires_at}` for a new ban (offence 0
    /// with escalation off, expires_at 0 for a permanent ban, range_banned 1 when this ban also banned the range),
    /// 0 when the unit was already there.
    ///
    /// The n-th ban within the memory lasts base × factor^(n−1), capped (never below base), then spread by the
    /// given fraction, at least a second (see ``BanEscalation``);
    /// the offence counter expires `memory` after this ban ends. The details hash gets
    /// `{"rule":…,"since":…,"offence":…}` for `blocklist explain`. Numbers are written with `%.0f`, exact for
    /// Unix milliseconds. A range ban is computed the same way from the same rule's ban, with the range's own
    /// offence count; the units set of the range drops bans that ended and lives as long as its longest ban.
    ///
    /// All or nothing: when Redis refuses a step (the blocklist key holds a list, the user may not publish on
    /// the channel), the steps before it are undone and the error names the key or channel, so the block is
    /// offered again whole once the cause is gone, and no unit is left banned without its expiry. The range
    /// keys' types are checked before anything is written.
    public static let ban = RedisScript(
        """
        local function fail(reply, key) return redis.error_reply(reply.err .. ' (key ' .. key .. ')') end
        local ranged = #KEYS >= 8
        if ranged then
            local wanted = {[5] = 'set', [6] = 'zset', [7] = 'zset', [8] = 'string'}
            for index = 5, 8 do
                local found = redis.pcall('TYPE', KEYS[index])
                if type(found) == 'table' and found.err then return fail(found, KEYS[index]) end
                local name = type(found) == 'table' and found.ok or found
                if name ~= 'none' and name ~= wanted[index] then
                    return redis.error_reply('WRONGTYPE Operation against a key holding the wrong kind of value (key '
                        .. KEYS[index] .. ')')
                end
            end
        end
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
        local function expiring(count, spread)
            if base <= 0 then return 0 end
            local length = base
            if count > 1 then length = base * factor ^ (count - 1) end
            local cap = tonumber(ARGV[5])
            if count > 1 and length > cap then length = math.max(base, cap) end
            length = math.floor(length * (1 + spread))
            if length < 1000 then length = 1000 end
            return now + length
        end
        local expiry = expiring(offence, tonumber(ARGV[7]))
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
        if not ranged then return {1, offence, expiry} end
        local range = ARGV[11]
        redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', string.format('%.0f', now))
        redis.call('ZADD', KEYS[7], expiry > 0 and string.format('%.0f', expiry) or 'inf', ARGV[1])
        local last = redis.call('ZRANGE', KEYS[7], -1, -1, 'WITHSCORES')
        if last[2] == 'inf' then
            redis.call('PERSIST', KEYS[7])
        else
            redis.call('PEXPIREAT', KEYS[7], last[2])
        end
        local units = redis.call('ZCARD', KEYS[7])
        if units < tonumber(ARGV[12]) or redis.call('SADD', KEYS[5], range) == 0 then
            return {1, offence, expiry, 0, 0, 0}
        end
        local rangeOffence = 0
        if factor > 1 then rangeOffence = redis.call('INCRBY', KEYS[8], 1) end
        local rangeExpiry = expiring(rangeOffence, tonumber(ARGV[13]))
        if rangeExpiry > 0 then
            redis.call('ZADD', KEYS[6], rangeExpiry, range)
        else
            redis.call('ZREM', KEYS[6], range)
        end
        redis.call('HSET', KEYS[3], range, '{"rule":' .. cjson.encode(ARGV[10]) .. ',"since":' .. since
            .. ',"offence":' .. string.format('%.0f', rangeOffence) .. ',"units":' .. units .. '}')
        if factor > 1 then
            local forget = (rangeExpiry > 0 and rangeExpiry or now) + tonumber(ARGV[6])
            redis.call('PEXPIREAT', KEYS[8], string.format('%.0f', forget))
        end
        if ARGV[8] ~= '' then
            redis.call('PUBLISH', ARGV[8], ARGV[14] .. ',"units":' .. units .. ',"offence":'
                .. (factor > 1 and string.format('%.0f', rangeOffence) or 'null') .. ',"expires_at":'
                .. (rangeExpiry > 0 and string.format('%.0f', rangeExpiry) or 'null') .. '}')
        end
        return {1, offence, expiry, 1, rangeOffence, rangeExpiry}
        """)

    /// Removes units whose ban expired at or before ARGV[1] (Unix ms), at most ARGV[2] per call, and with
    /// KEYS[4] and KEYS[5] as many ranges.
    ///
    /// KEYS[1] blocklist set, KEYS[2] expiry sorted set, KEYS[3] ban details hash (see ``ban``); optionally
    /// KEYS[4] the range expiry sorted set and KEYS[5] the ranges set. ARGV[3] channel ('' = none) gets one event
    /// per unit or range, a range's with `"range":true`. Returns the removed units and ranges.
    ///
    /// The event is `cjson.encode`d: a member may hold anything someone added by hand, quotes and line breaks
    /// included. cjson prints numbers with 14 significant digits, which keeps Unix milliseconds whole until the
    /// year 5138.
    public static let expire = RedisScript(
        """
        local at = tonumber(ARGV[1])
        local removed = {}
        local function sweep(index, set, isRange)
            local expired = redis.call('ZRANGEBYSCORE', index, '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
            if #expired == 0 then return end
            redis.call('SREM', set, unpack(expired))
            redis.call('ZREM', index, unpack(expired))
            redis.call('HDEL', KEYS[3], unpack(expired))
            for _, member in ipairs(expired) do
                removed[#removed + 1] = member
                if ARGV[3] ~= '' then
                    local event = {event = 'unblock', unit = member, at = at}
                    if isRange then event.range = true end
                    redis.call('PUBLISH', ARGV[3], cjson.encode(event))
                end
            end
        end
        sweep(KEYS[2], KEYS[1], false)
        if #KEYS >= 5 then sweep(KEYS[4], KEYS[5], true) end
        return removed
        """)
}
