import Detection
import Logging
import RESP
import RedisClient

/// Writes units that reached a rule's threshold into the blocklist set, records when their ban ends, and
/// announces each new block once: in the log and as JSON on the events channel, naming the rule.
///
/// Every unit at or over a threshold is offered, not only those that crossed it in this batch, so a unit
/// whose ban expired while it is still flooding is blocked again; `SADD` tells whether a block is new. A unit
/// over several rules at once is offered once, under the rule whose ban is longest (the first such in
/// configuration order on a tie). A rule in dry run writes nothing: units that crossed it in this batch are
/// announced with `"dry_run":true`. Choosing the candidates and writing them are separate steps, so a batch
/// whose blocks Redis refused offers the same units again, and only those not yet written.
struct BlocklistWriter {
    let client: RedisRouter
    let settings: WorkerSettings
    let logger: Logger
    /// Flooding units offered moments ago are not offered again in every batch.
    let recent = RecentBlockCache()

    /// The crossings to offer or announce after a batch, from the counts of each counter: for rules in dry run
    /// the units that crossed them in this batch, for the others the units at or over their threshold, one
    /// per unit and not offered moments ago.
    func candidates(
        _ counts: [Int: [WindowCount]], counters: [CounterBatch], detection: DetectionSettings, now: Int64
    ) -> [RuleCrossing] {
        var announced: [RuleCrossing] = []
        var strongest: [DetectionUnit: RuleCrossing] = [:]
        var order: [DetectionUnit] = []
        for (index, counter) in counters.enumerated() {
            guard let windowCounts = counts[index] else { continue }
            for ruleIndex in counter.rules {
                let rule = detection.rules[ruleIndex]
                for count in windowCounts {
                    let crossing = RuleCrossing(count: count, rule: rule, banSeconds: detection.banSeconds(of: rule))
                    if rule.dryRun {
                        if rule.crossed(before: count.before, after: count.after) { announced.append(crossing) }
                        continue
                    }
                    guard count.after >= rule.threshold else { continue }
                    let unit = count.group.unit
                    if let held = strongest[unit] {
                        if crossing.outlasts(held) { strongest[unit] = crossing }
                    } else {
                        strongest[unit] = crossing
                        order.append(unit)
                    }
                }
            }
        }
        let offered = recent.admit(order.compactMap { strongest[$0] }, now: now)
        return announced + offered
    }

    /// Blocks (or for a rule in dry run announces) the crossings of `pending`, removing each from it once
    /// Redis confirmed it, and adds to `done`, per rule name, the units newly blocked or announced — also those
    /// confirmed before a later step throws.
    ///
    /// - Throws: When a crossing is left in `pending`: the connection's error, ``RedisError/server(_:)`` for a
    ///   transient refusal, or ``BatchWriteRefusal`` naming the key Redis refused. Offering the rest again is
    ///   safe: a unit already in the set is not announced twice.
    func block(_ pending: inout [RuleCrossing], now: Int64, done: inout [String: Int]) async throws {
        guard !pending.isEmpty else { return }
        var shadow = pending.filter(\.rule.dryRun)
        var bans = pending.filter { !$0.rule.dryRun }
        defer { pending = shadow + bans }
        if !shadow.isEmpty {
            if let channel = settings.eventsChannel {
                // Pub/sub reaches every node of a cluster from any one, so the channel name routes nothing.
                let publishes = shadow.map { crossing in
                    RedisRoutedCommand(
                        RESPCommand("PUBLISH", channel, event(for: crossing, now: now, expiresAt: nil)), key: channel)
                }
                let replies = try await client.pipeline(publishes)
                try settle(&shadow, replies: replies, step: .events, key: channel, into: &done, counts: { _ in true })
            } else {
                for crossing in shadow {
                    announce(crossing)
                    done[crossing.rule.name, default: 0] += 1
                }
                shadow = []
            }
        }
        if !bans.isEmpty {
            let replies = try await offer(bans, now: now)
            // 1: newly blocked; 2: an existing ban extended, announced but not a new block.
            try settle(
                &bans, replies: replies, step: .blocklist, key: settings.blocklistKey, into: &done,
                counts: { $0.int == 1 },
                announces: { $0.int == 1 || $0.int == 2 })
        }
    }

    /// Removes from `pending` the crossings whose reply is not an error, logs those `announces` says changed the
    /// blocklist and adds those `counts` says are new to `done` per rule; then throws for the first error left,
    /// transient ones first.
    private func settle(
        _ pending: inout [RuleCrossing], replies: [RESPToken], step: BatchWriteRefusal.Step, key: String,
        into done: inout [String: Int], counts: (RESPToken) -> Bool, announces: ((RESPToken) -> Bool)? = nil
    ) throws {
        var left: [RuleCrossing] = []
        var errors: [RedisServerError] = []
        for (crossing, reply) in zip(pending, replies) {
            if let error = reply.serverError {
                left.append(crossing)
                errors.append(error)
            } else if announces?(reply) ?? counts(reply) {
                if counts(reply) { done[crossing.rule.name, default: 0] += 1 }
                announce(crossing)
            }
        }
        pending = left
        if let transient = errors.first(where: \.isTransient) { throw RedisError.server(transient) }
        if let refused = errors.first { throw BatchWriteRefusal(step: step, scriptError: refused, fallbackKey: key) }
    }

    private func offer(_ candidates: [RuleCrossing], now: Int64) async throws -> [RESPToken] {
        let channel = settings.eventsChannel ?? ""
        let blocklistKey = settings.blocklistKey
        let bansKey = settings.bansKey
        // Both keys share the blocklist's slot (see WorkerSettings.bansKey), so a cluster runs each call on one node.
        let slot = RedisHashSlot(key: blocklistKey)
        return try await client.evaluatePipelined(BlocklistScripts.ban, count: candidates.count) { index, head in
            let crossing = candidates[index]
            let expiresAt = BanExpiry.expiresAt(now: now, banSeconds: crossing.banSeconds)
            return RedisRoutedCommand(
                RESPCommand(
                    head, 2, blocklistKey, bansKey, crossing.count.group.unit.name, expiresAt ?? 0, channel,
                    channel.isEmpty ? "" : event(for: crossing, now: now, expiresAt: expiresAt)),
                slot: slot)
        }
    }

    private func announce(_ crossing: RuleCrossing) {
        let rule = crossing.rule
        let unit = crossing.count.group.unit.name
        logger.notice(
            "bot detected: blocking \(unit)",
            metadata: [
                "unit": "\(unit)", "rule": "\(rule.name)", "count": "\(crossing.count.after)",
                "threshold": "\(rule.threshold)", "window_s": "\(rule.windowSeconds)", "mode": "\(rule.mode.rawValue)",
                "ban_s": "\(crossing.banSeconds)", "dry_run": "\(rule.dryRun)",
            ])
    }

    /// The event published for a block, from ``JSONObjectWriter`` so no unit name can change its fields.
    private func event(for crossing: RuleCrossing, now: Int64, expiresAt: Int64?) -> String {
        let rule = crossing.rule
        var event = JSONObjectWriter()
        event.add("event", "block")
        event.add("unit", crossing.count.group.unit.name)
        event.add("rule", rule.name)
        event.add("count", crossing.count.after)
        event.add("threshold", rule.threshold)
        event.add("window", rule.windowSeconds)
        event.add("mode", rule.mode.rawValue)
        event.add("expires_at", expiresAt)
        event.add("at", now)
        event.add("dry_run", rule.dryRun)
        return event.json
    }
}
