import Detection
import RESP
import RedisClient

/// Which workers are alive: each renews a lease in one hash (``KeySchema/workersKey``), and a worker whose lease
/// ended has its unfinished batches taken over by another.
///
/// Lease ends are in the Redis server's clock (`TIME` inside the scripts), so hosts with skewed clocks agree on
/// who is late. Claiming a silent worker renews its lease on its behalf, atomically with the check, so two
/// workers never take over the same one at once; the claim runs out after one lease, so a worker that dies while
/// taking over leaves the job to the next. A worker that is only slow, not dead (a stalled network longer than a
/// lease), may have a batch counted twice: at-least-once, as after a crash.
struct WorkerLease: Sendable {
    let client: RedisRouter
    /// The hash of lease ends.
    let key: String
    /// This worker.
    let workerID: String
    /// How long a lease lasts without renewal.
    let duration: Duration

    init(client: RedisRouter, settings: WorkerSettings, duration: Duration) {
        self.client = client
        self.key = settings.keys.workersKey
        self.workerID = settings.workerID
        self.duration = duration
    }

    private var durationMilliseconds: Int64 {
        let parts = duration.components
        return max(1, parts.seconds.saturatingMultiply(1000).saturatingAdd(parts.attoseconds / 1_000_000_000_000_000))
    }

    /// Renews this worker's lease for one more ``duration`` from now.
    func renew() async throws {
        _ = try await client.evaluate(Self.renewScript, keys: [key], arguments: [workerID, "\(durationMilliseconds)"])
    }

    /// Claims the workers whose lease has ended (never this one) and returns them with the end of the claim,
    /// which ``forget(_:claimedUntil:)`` needs.
    func claimExpired() async throws -> [(workerID: String, claimedUntil: String)] {
        let reply = try await client.evaluate(
            Self.claimScript, keys: [key], arguments: [workerID, "\(durationMilliseconds)"])
        var claimed: [(String, String)] = []
        var iterator = (reply.array.map(Array.init) ?? []).makeIterator()
        while let id = iterator.next()?.string, let until = iterator.next() {
            claimed.append((id, until.string ?? until.int.map { "\($0)" } ?? ""))
        }
        return claimed
    }

    /// Extends a claim made by ``claimExpired()`` by one more lease, while the batches are being counted; returns
    /// the new end, or nil when the claim is no longer this worker's (the worker came back and renewed its lease,
    /// or the claim ran out and another worker claimed it).
    func extendClaim(_ id: String, claimedUntil: String) async throws -> String? {
        let reply = try await client.evaluate(
            Self.extendScript, keys: [key], arguments: [id, claimedUntil, "\(durationMilliseconds)"])
        return reply.string ?? reply.int.map { "\($0)" }
    }

    /// Removes a taken-over worker from the hash, unless it renewed its lease since the claim (it came back).
    func forget(_ id: String, claimedUntil: String) async throws {
        _ = try await client.evaluate(Self.forgetScript, keys: [key], arguments: [id, claimedUntil])
    }

    /// KEYS[1] leases; ARGV: worker id, lease ms. Sets the id's lease end to server now + lease.
    static let renewScript = RedisScript(
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('HSET', KEYS[1], ARGV[1], now + tonumber(ARGV[2]))
        return now
        """)

    /// KEYS[1] leases; ARGV: claiming worker id, lease ms. Every other worker whose lease ended gets a new end of
    /// server now + lease; returns id, new end, id, new end, ….
    static let claimScript = RedisScript(
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local claimEnd = now + tonumber(ARGV[2])
        local all = redis.call('HGETALL', KEYS[1])
        local out = {}
        for i = 1, #all, 2 do
            local ends = tonumber(all[i + 1])
            if all[i] ~= ARGV[1] and (ends == nil or ends < now) then
                redis.call('HSET', KEYS[1], all[i], claimEnd)
                out[#out + 1] = all[i]
                out[#out + 1] = tostring(claimEnd)
            end
        end
        return out
        """)

    /// KEYS[1] leases; ARGV: worker id, the claim's end, lease ms. If the id still holds that end, sets a new one
    /// of server now + lease and returns it; else returns nil.
    static let extendScript = RedisScript(
        """
        if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return false end
        local t = redis.call('TIME')
        local ends = tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[3]))
        redis.call('HSET', KEYS[1], ARGV[1], ends)
        return ends
        """)

    /// KEYS[1] leases; ARGV: worker id, the claim's end. Deletes the id's field if it still holds that end.
    static let forgetScript = RedisScript(
        """
        if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
            return redis.call('HDEL', KEYS[1], ARGV[1])
        end
        return 0
        """)
}
