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
struct BlocklistWriter {
    let client: RedisRouter
    let settings: WorkerSettings
    let logger: Logger
    /// Flooding units offered moments ago are not offered again in every batch.
    let recent = RecentBlockCache()

    /// Blocks the units of `counts` that are over the threshold and returns those newly blocked.
    func block(_ counts: [WindowCount], detection: DetectionSettings, now: Int64) async throws -> [WindowCount] {
        let rule = detection.rule
        if detection.dryRun {
            let crossed = counts.filter { rule.crossed(before: $0.before, after: $0.after) }
            guard !crossed.isEmpty else { return [] }
            if let channel = settings.eventsChannel {
                // Pub/sub reaches every node of a cluster from any one, so the channel name routes nothing.
                let publishes = crossed.map { count in
                    RedisRoutedCommand(
                        RESPCommand("PUBLISH", channel, event(for: count, detection: detection, now: now, expiresAt: nil)),
                        key: channel)
                }
                for reply in try await client.pipeline(publishes) { _ = try reply.throwingServerError() }
            }
            for count in crossed { announce(count, detection: detection) }
            return crossed
        }

        let candidates = recent.admit(counts.filter { $0.after >= rule.threshold }, now: now)
        guard !candidates.isEmpty else { return [] }
        do {
            return try await offer(candidates, detection: detection, now: now)
        } catch {
            recent.forget(candidates)
            throw error
        }
    }

    private func offer(_ candidates: [WindowCount], detection: DetectionSettings, now: Int64) async throws
        -> [WindowCount]
    {
        let expiresAt = BanExpiry.expiresAt(now: now, banSeconds: detection.banSeconds)
        let channel = settings.eventsChannel ?? ""
        let blocklistKey = settings.blocklistKey
        let bansKey = settings.bansKey
        // Both keys share the blocklist's slot (see WorkerSettings.bansKey), so a cluster runs each call on one node.
        let slot = RedisHashSlot(key: blocklistKey)
        let replies = try await client.evaluatePipelined(BlocklistScripts.ban, count: candidates.count) { index, sha in
            let count = candidates[index]
            return RedisRoutedCommand(
                RESPCommand(
                    "EVALSHA", sha, 2, blocklistKey, bansKey, count.group.unit.name, expiresAt ?? 0, channel,
                    channel.isEmpty ? "" : event(for: count, detection: detection, now: now, expiresAt: expiresAt)),
                slot: slot)
        }
        var blocked: [WindowCount] = []
        for (count, reply) in zip(candidates, replies) {
            let added = try reply.throwingServerError()
            if added.int == 1 {
                blocked.append(count)
                announce(count, detection: detection)
            }
        }
        return blocked
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
