import Detection
import IPWatcherDaemon

/// What `ipwatcher replay` prints: the blocks of one configuration, or the difference between two.
struct ReplayReport {
    let replay: LogReplay
    /// The names of the configurations, as given.
    let configurations: [String]

    /// The units a detector banned (dry-run announcements left out), in the order of their first ban.
    private func bannedUnits(_ detector: InMemoryDetector) -> [String] {
        var seen = Set<DetectionUnit>()
        return detector.blocks.filter { !$0.dryRun && seen.insert($0.unit).inserted }.map(\.unit.name)
    }

    /// The units only the first and only the second configuration banned.
    private var difference: (onlyFirst: [String], onlySecond: [String]) {
        let first = bannedUnits(replay.detectors[0])
        let second = bannedUnits(replay.detectors[1])
        let (firstSet, secondSet) = (Set(first), Set(second))
        return (first.filter { !secondSet.contains($0) }, second.filter { !firstSet.contains($0) })
    }

    /// `{"lines":…,"rejected":…,"blocks":[{"unit","rule","at","count","dry_run"}]}`, or with a comparison
    /// `{"lines":…,"rejected":…,"only_first":[units],"only_second":[units]}`; one line.
    var json: String {
        var object = JSONObjectWriter(capacity: 256)
        object.add("lines", replay.lines)
        object.add("rejected", replay.rejected)
        if replay.detectors.count > 1 {
            let (onlyFirst, onlySecond) = difference
            object.addEncoded("only_first", JSONObjectWriter.array(onlyFirst.map(JSONObjectWriter.quoted)))
            object.addEncoded("only_second", JSONObjectWriter.array(onlySecond.map(JSONObjectWriter.quoted)))
        } else {
            let detector = replay.detectors[0]
            object.add("allowlisted", detector.tally.allowlisted)
            object.add("stale", detector.tally.stale)
            let blocks = detector.blocks.map { block in
                var entry = JSONObjectWriter(capacity: 96)
                entry.add("unit", block.unit.name)
                entry.add("rule", block.rule)
                entry.add("at", block.at)
                entry.add("count", block.count)
                entry.add("dry_run", block.dryRun)
                entry.add("expires_at", block.expiresAt)
                return entry.json
            }
            object.addEncoded("blocks", JSONObjectWriter.array(blocks))
        }
        return object.json + "\n"
    }

    /// Lines for people: what was read, then each block (or each difference).
    var text: String {
        let first = replay.detectors[0]
        var text = "read \(replay.lines) lines (\(replay.format.rawValue)): \(replay.rejected) rejected, "
            + "\(first.tally.allowlisted) allowlisted, \(first.tally.stale) too old for every window\n"
        if replay.detectors.count > 1 {
            let (onlyFirst, onlySecond) = difference
            for (name, units) in [(configurations[0], onlyFirst), (configurations[1], onlySecond)] {
                text += "only \(name) blocks \(units.count) unit\(units.count == 1 ? "" : "s")"
                text += units.isEmpty ? "\n" : ":\n" + units.map { "  \($0)\n" }.joined()
            }
            return text
        }
        text += "rules: " + first.rules.map(\.summary).joined(separator: "; ") + "\n"
        let bans = first.blocks.filter { !$0.dryRun }
        text += "\(bans.count) block\(bans.count == 1 ? "" : "s") of \(Set(bans.map(\.unit)).count) units"
        let announced = first.blocks.count - bans.count
        if announced > 0 { text += ", \(announced) dry-run crossing\(announced == 1 ? "" : "s")" }
        text += first.blocks.isEmpty ? "\n" : ":\n"
        for block in first.blocks {
            text += "  \(LogLineFormatter.timestamp(block.at))  \(block.unit.name)  rule \(block.rule)  count \(block.count)"
            if block.dryRun {
                text += "  (dry run)"
            } else {
                text += block.expiresAt.map { "  until \(LogLineFormatter.timestamp($0))" } ?? "  for good"
            }
            text += "\n"
        }
        return text
    }
}
