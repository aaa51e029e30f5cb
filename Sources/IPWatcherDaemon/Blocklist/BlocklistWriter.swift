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
                    let count = count.reading(for: rule, now: now)
                    let crossing = RuleCrossing(count: count, rule: rule, banSeconds: detection.banSeconds(of: rule))
                    if rule.dryRun {
                        if rule.crossed(before: count.before, after: count.after) { announced.append(crossing) }
                        continue
                    }
                    guard count.after >= rule.threshold else { continue }
                    let unit = count.group.unit
                    if let held = strongest[unit] {
                        // The longest ban; between equal bans the highest count (a unit counted in two windows
                        // of one batch, as late requests are), so the event tells the worst the rule saw.
                        if crossing.outlasts(held) || (!held.outlasts(crossing) && crossing.count.after > held.count.after) {
                            strongest[unit] = crossing
                        }
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
    /// confirmed before a later step throws — and to `rangesBanned` the ranges those bans completed.
    ///
    /// - Throws: When a crossing is left in `pending`: the connection's error, ``RedisError/server(_:)`` for a
    ///   transient refusal, or ``BatchWriteRefusal`` naming the key Redis refused. Offering the rest again is
    ///   safe: a unit already in the set is not announced twice.
    func block(
        _ pending: inout [RuleCrossing], detection: DetectionSettings, now: Int64, done: inout [String: Int],
        rangesBanned: inout Int
    ) async throws {
        guard !pending.isEmpty else { return }
        var shadow = pending.filter(\.rule.dryRun)
        var bans = pending.filter { !$0.rule.dryRun }
        defer { pending = shadow + bans }
        if !shadow.isEmpty {
            if let channel = settings.eventsChannel {
                // Pub/sub reaches every node of a cluster from any one, so the channel name routes nothing.
                let publishes = shadow.map { crossing in
                    RedisRoutedCommand(
                        RESPCommand("PUBLISH", channel, shadowEvent(for: crossing, now: now)), key: channel)
                }
                let replies = try await client.pipeline(publishes)
                var none = 0
                try settle(
                    &shadow, replies: replies, step: .events, key: channel, now: now, into: &done, ranges: &none,
                    counts: { _ in true })
            } else {
                for crossing in shadow {
                    announce(crossing, ban: nil, now: now)
                    done[crossing.rule.name, default: 0] += 1
                }
                shadow = []
            }
        }
        if !bans.isEmpty {
            let replies = try await offer(bans, detection: detection, now: now)
            // A new ban replies {1, offence, expires_at, …}; a unit already banned, 0.
            try settle(
                &bans, replies: replies, step: .blocklist, key: settings.blocklistKey, now: now, into: &done,
                ranges: &rangesBanned, counts: { $0.array != nil })
        }
    }

    /// Removes from `pending` the crossings whose reply is not an error, and logs and adds to `done` per rule
    /// those `counts` says are new; then throws for the first error left, transient ones first.
    private func settle(
        _ pending: inout [RuleCrossing], replies: [RESPToken], step: BatchWriteRefusal.Step, key: String, now: Int64,
        into done: inout [String: Int], ranges: inout Int, counts: (RESPToken) -> Bool
    ) throws {
        var left: [RuleCrossing] = []
        var errors: [RedisServerError] = []
        for (crossing, reply) in zip(pending, replies) {
            if let error = reply.serverError {
                left.append(crossing)
                errors.append(error)
            } else if counts(reply) {
                done[crossing.rule.name, default: 0] += 1
                let ban = reply.array.map(Array.init)
                announce(crossing, ban: ban, now: now)
                if let ban, ban.count == 6, ban[3].int == 1 {
                    ranges += 1
                    announceRange(of: crossing, ban: ban, now: now)
                }
            }
        }
        pending = left
        if let transient = errors.first(where: \.isTransient) { throw RedisError.server(transient) }
        if let refused = errors.first { throw BatchWriteRefusal(step: step, scriptError: refused, fallbackKey: key) }
    }

    private func offer(_ candidates: [RuleCrossing], detection: DetectionSettings, now: Int64) async throws
        -> [RESPToken]
    {
        let escalation = detection.escalation
        let allowlist = detection.unitRule.allowlist
        let minUnits = settings.ranges.minUnits
        let channel = settings.eventsChannel ?? ""
        let blocklistKey = settings.blocklistKey
        let bansKey = settings.bansKey
        let banInfoKey = settings.banInfoKey
        let factor = escalation.isOn ? escalation.factor : 1
        let capMilliseconds = Self.milliseconds(escalation.maxSeconds)
        let memoryMilliseconds = Self.milliseconds(escalation.memorySeconds)
        var random = SystemRandomNumberGenerator()
        let spreads = candidates.map { _ in (escalation.spread(using: &random), escalation.spread(using: &random)) }
        // Every key shares the blocklist's slot (see WorkerSettings.bansKey), so a cluster runs each call on one node.
        let slot = RedisHashSlot(key: blocklistKey)
        return try await client.evaluatePipelined(BlocklistScripts.ban, count: candidates.count) { index, head in
            let crossing = candidates[index]
            let unit = crossing.count.group.unit
            let unitName = unit.name
            let (spread, rangeSpread) = spreads[index]
            let event = channel.isEmpty ? "" : event(for: crossing, now: now).openObject
            guard let range = settings.rangeName(of: unit, allowlist: allowlist) else {
                return RedisRoutedCommand(
                    RESPCommand(
                        head, 4, blocklistKey, bansKey, banInfoKey, settings.offenceKey(unitName: unitName), unitName,
                        now, Self.milliseconds(crossing.banSeconds), "\(factor)", capMilliseconds, memoryMilliseconds,
                        "\(spread)", channel, event, crossing.rule.name),
                    slot: slot)
            }
            return RedisRoutedCommand(
                RESPCommand(
                    head, 8, blocklistKey, bansKey, banInfoKey, settings.offenceKey(unitName: unitName),
                    settings.rangesKey, settings.rangeBansKey, settings.rangeUnitsKey(rangeName: range),
                    settings.offenceKey(unitName: range), unitName, now, Self.milliseconds(crossing.banSeconds),
                    "\(factor)", capMilliseconds, memoryMilliseconds, "\(spread)", channel, event, crossing.rule.name,
                    range, minUnits, "\(rangeSpread)",
                    channel.isEmpty ? "" : rangeEvent(range: range, for: crossing, now: now).openObject),
                slot: slot)
        }
    }

    /// `seconds` in milliseconds, held to 0 … ``BanExpiry/maximumSeconds`` (configuration allows no more; settings
    /// built in code might), so every time the ban script adds up stays exact in Lua's doubles.
    static func milliseconds(_ seconds: Int) -> Int64 {
        Int64(min(max(seconds, 0), BanExpiry.maximumSeconds)) * 1000
    }

    /// Logs a block; `ban` is the ban script's reply `[1, offence, expires_at]`, nil for a dry-run announcement.
    private func announce(_ crossing: RuleCrossing, ban: [RESPToken]?, now: Int64) {
        let rule = crossing.rule
        let unit = crossing.count.group.unit.name
        var metadata: Logger.Metadata = [
            "unit": "\(unit)", "rule": "\(rule.name)", "count": "\(crossing.count.after)",
            "threshold": "\(rule.threshold)", "window_s": "\(rule.windowSeconds)", "mode": "\(rule.mode.rawValue)",
            "dry_run": "\(rule.dryRun)",
        ]
        if let ban, ban.count == 3, let offence = ban[1].int, let expiresAt = ban[2].int {
            // The length the script chose, escalation and spread included; 0: for good.
            metadata["ban_s"] = "\(expiresAt == 0 ? 0 : (expiresAt - now + 999) / 1000)"
            if offence > 0 { metadata["offence"] = "\(offence)" }
        } else {
            metadata["ban_s"] = "\(crossing.banSeconds)"
        }
        logger.notice("bot detected: blocking \(unit)", metadata: metadata)
    }

    /// Logs a range ban; `ban` is the ban script's reply `[1, offence, expires_at, 1, range_offence,
    /// range_expires_at]`.
    private func announceRange(of crossing: RuleCrossing, ban: [RESPToken], now: Int64) {
        let unit = crossing.count.group.unit
        let range = settings.rangeName(of: unit, allowlist: []) ?? "?"
        var metadata: Logger.Metadata = [
            "range": "\(range)", "rule": "\(crossing.rule.name)", "last_unit": "\(unit.name)",
            "min_units": "\(settings.ranges.minUnits)",
        ]
        if let offence = ban[4].int, let expiresAt = ban[5].int {
            metadata["ban_s"] = "\(expiresAt == 0 ? 0 : (expiresAt - now + 999) / 1000)"
            if offence > 0 { metadata["offence"] = "\(offence)" }
        }
        logger.notice("bot network detected: blocking range \(range)", metadata: metadata)
    }

    /// The event published for a range ban, which the ban script completes with `units`, `offence` and
    /// `expires_at`: `unit` names the range, `last_unit` the unit whose ban completed it.
    private func rangeEvent(range: String, for crossing: RuleCrossing, now: Int64) -> JSONObjectWriter {
        var event = JSONObjectWriter()
        event.add("event", "block")
        event.add("unit", range)
        event.add("range", true)
        event.add("rule", crossing.rule.name)
        event.add("last_unit", crossing.count.group.unit.name)
        event.add("at", now)
        event.add("dry_run", false)
        return event
    }

    /// The event published for a block, from ``JSONObjectWriter`` so no unit name can change its fields; the ban
    /// script completes it with `offence` and `expires_at`.
    private func event(for crossing: RuleCrossing, now: Int64) -> JSONObjectWriter {
        let rule = crossing.rule
        var event = JSONObjectWriter()
        event.add("event", "block")
        event.add("unit", crossing.count.group.unit.name)
        event.add("rule", rule.name)
        event.add("count", crossing.count.after)
        event.add("threshold", rule.threshold)
        event.add("window", rule.windowSeconds)
        event.add("mode", rule.mode.rawValue)
        event.add("at", now)
        event.add("dry_run", rule.dryRun)
        return event
    }

    /// The event published for a crossing of a rule in dry run: nothing is banned, so no offence and no expiry.
    private func shadowEvent(for crossing: RuleCrossing, now: Int64) -> String {
        var event = event(for: crossing, now: now)
        event.add("offence", nil)
        event.add("expires_at", nil)
        return event.json
    }
}
