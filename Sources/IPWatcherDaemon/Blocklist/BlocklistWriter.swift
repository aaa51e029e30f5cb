import Detection
import Logging
import RESP
import RedisClient

/// Writes units that reached the threshold into the blocklist set, records when their ban ends, and
/// announces each new block once: in the log and as JSON on the events channel.
///
/// Every unit at or over the threshold is offered, not only those that crossed it in this batch, so a unit
/// whose ban expired while it is still flooding is blocked again; `SADD` tells whether a block is new. In a
/// dry run nothing is written and only units that crossed the threshold in this batch are announced.
/// Choosing the candidates and writing them are separate steps, so a batch whose blocks Redis refused offers
/// the same units again, and only those not yet written.
struct BlocklistWriter {
    let client: RedisRouter
    let settings: WorkerSettings
    let logger: Logger
    /// Flooding units offered moments ago are not offered again in every batch.
    let recent = RecentBlockCache()

    /// The units of `counts` to offer to the blocklist: those at or over the threshold and not offered moments
    /// ago, or in a dry run those that crossed the threshold in this batch.
    func candidates(_ counts: [WindowCount], detection: DetectionSettings, now: Int64) -> [WindowCount] {
        let rule = detection.rule
        if detection.dryRun { return counts.filter { rule.crossed(before: $0.before, after: $0.after) } }
        return recent.admit(counts.filter { $0.after >= rule.threshold }, now: now)
    }

    /// Blocks (or in a dry run announces) the units of `pending`, removing each from it once Redis confirmed
    /// it, and returns how many were newly blocked.
    ///
    /// - Throws: When a unit is left in `pending`: the connection's error, ``RedisError/server(_:)`` for a
    ///   transient refusal, or ``BatchWriteRefusal`` naming the key Redis refused. Offering the rest again is
    ///   safe: a unit already in the set is not announced twice.
    func block(_ pending: inout [WindowCount], detection: DetectionSettings, now: Int64) async throws -> Int {
        guard !pending.isEmpty else { return 0 }
        if detection.dryRun {
            guard let channel = settings.eventsChannel else {
                for count in pending { announce(count, detection: detection) }
                let announced = pending.count
                pending = []
                return announced
            }
            // Pub/sub reaches every node of a cluster from any one, so the channel name routes nothing.
            let publishes = pending.map { count in
                RedisRoutedCommand(
                    RESPCommand("PUBLISH", channel, event(for: count, detection: detection, now: now, expiresAt: nil)),
                    key: channel)
            }
            let replies = try await client.pipeline(publishes)
            return try settle(&pending, replies: replies, step: .events, key: channel, detection: detection) {
                _ in true
            }
        }
        let candidates = pending
        let replies = try await offer(candidates, detection: detection, now: now)
        return try settle(&pending, replies: replies, step: .blocklist, key: settings.blocklistKey, detection: detection) {
            $0.int == 1
        }
    }

    /// Removes from `pending` the units whose reply is not an error and announces those `isNew` says were
    /// newly blocked; then throws for the first error left, transient ones first.
    private func settle(
        _ pending: inout [WindowCount], replies: [RESPToken], step: BatchWriteRefusal.Step, key: String,
        detection: DetectionSettings, isNew: (RESPToken) -> Bool
    ) throws -> Int {
        var left: [WindowCount] = []
        var errors: [RedisServerError] = []
        var blocked = 0
        for (count, reply) in zip(pending, replies) {
            if let error = reply.serverError {
                left.append(count)
                errors.append(error)
            } else if isNew(reply) {
                blocked += 1
                announce(count, detection: detection)
            }
        }
        pending = left
        if let transient = errors.first(where: \.isTransient) { throw RedisError.server(transient) }
        if let refused = errors.first { throw BatchWriteRefusal(step: step, scriptError: refused, fallbackKey: key) }
        return blocked
    }

    private func offer(_ candidates: [WindowCount], detection: DetectionSettings, now: Int64) async throws
        -> [RESPToken]
    {
        let expiresAt = BanExpiry.expiresAt(now: now, banSeconds: detection.banSeconds)
        let channel = settings.eventsChannel ?? ""
        let blocklistKey = settings.blocklistKey
        let bansKey = settings.bansKey
        // Both keys share the blocklist's slot (see WorkerSettings.bansKey), so a cluster runs each call on one node.
        let slot = RedisHashSlot(key: blocklistKey)
        return try await client.evaluatePipelined(BlocklistScripts.ban, count: candidates.count) { index, head in
            let count = candidates[index]
            return RedisRoutedCommand(
                RESPCommand(
                    head, 2, blocklistKey, bansKey, count.group.unit.name, expiresAt ?? 0, channel,
                    channel.isEmpty ? "" : event(for: count, detection: detection, now: now, expiresAt: expiresAt)),
                slot: slot)
        }
    }

    private func announce(_ count: WindowCount, detection: DetectionSettings) {
        logger.notice(
            "bot detected: blocking \(count.group.unit.name)",
            metadata: [
                "unit": "\(count.group.unit.name)", "count": "\(count.after)",
                "window_s": "\(detection.rule.windowSeconds)", "mode": "\(detection.rule.mode.rawValue)",
                "ban_s": "\(detection.banSeconds)", "dry_run": "\(detection.dryRun)",
            ])
    }

    /// The event published for a block, from ``JSONObjectWriter`` so no unit name can change its fields.
    private func event(for count: WindowCount, detection: DetectionSettings, now: Int64, expiresAt: Int64?) -> String {
        var event = JSONObjectWriter()
        event.add("event", "block")
        event.add("unit", count.group.unit.name)
        event.add("count", count.after)
        event.add("window", detection.rule.windowSeconds)
        event.add("mode", detection.rule.mode.rawValue)
        event.add("expires_at", expiresAt)
        event.add("at", now)
        event.add("dry_run", detection.dryRun)
        return event.json
    }
}
