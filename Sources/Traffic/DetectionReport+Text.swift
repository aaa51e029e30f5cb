extension DetectionReport {
    /// The report for people: the headline numbers, a table per kind, the NAT and straddle lines with what
    /// they mean, requests before block, and notes. `verbose` adds one line per caught, missed and wrongly
    /// blocked unit.
    public func text(verbose: Bool = false) -> String {
        var lines: [String] = []
        let timing = eventTimes ? "with event times" : "without event times"
        if rules.count > 1 {
            lines.append("detection report: \(rules.count) rules (below), \(timing)")
        } else {
            lines.append("detection report: \(mode) windows, threshold \(threshold) per \(window) s, \(timing)")
        }
        lines.append(
            "  bots caught            \(NumberText.grouped(botsCaught)) of \(NumberText.grouped(botsExpected))"
                + " (\(NumberText.percent(botsCaught, of: botsExpected))), missed \(NumberText.grouped(missed.count))")
        lines.append(
            "  users wrongly blocked  \(NumberText.grouped(wronglyBlocked.count)) of \(NumberText.grouped(usersExpected))")
        if sharedAddresses > 0 {
            lines.append(
                "  shared addresses (NAT) \(NumberText.grouped(sharedAddressesBlocked)) of \(NumberText.grouped(sharedAddresses)) blocked"
                    + " (\(NumberText.grouped(sharedAddressesExpected)) expected): by the rule a shared address over the threshold"
                    + " is a bot, whoever is behind it; allowlist addresses you know are shared")
        }
        if straddlingBursts > 0 {
            let meaning =
                switch mode {
                case "fixed": "fixed windows split each burst below the threshold; rolling windows see it whole"
                case "sliding":
                    "the sliding estimate weighs the half before the boundary by how much of its window is left;"
                        + " bursts whose second half comes late in the window stay below"
                default: "rolling windows see each burst whole; fixed windows would split it"
                }
            lines.append(
                "  straddling bursts      \(NumberText.grouped(straddlingBurstsBlocked)) of \(NumberText.grouped(straddlingBursts)) blocked"
                    + " (\(NumberText.grouped(straddlingBurstsExpected)) expected): \(meaning)")
        }
        if let spread = requestsBeforeBlock {
            lines.append(
                "  requests before block  min \(NumberText.grouped(spread.min)), median \(NumberText.grouped(spread.median)),"
                    + " max \(NumberText.grouped(spread.max)) over \(NumberText.grouped(spread.count)) caught bots"
                    + " (the bot's requests the feed had sent when the block was announced)")
        }
        if let ranges {
            var line =
                "  ranges banned          \(NumberText.grouped(ranges.banned)) of \(NumberText.grouped(ranges.expected))"
                + " (ranges holding \(ranges.minUnits) or more banned units of this feed)"
            if ranges.freshUnits > 0 {
                line += "; \(NumberText.grouped(ranges.freshRefused)) of \(NumberText.grouped(ranges.freshUnits)) fresh"
                    + " addresses inside them refused by the range ban before crossing a threshold"
            }
            lines.append(line)
        }
        if let repeated = repeatOffenders {
            var line =
                "  repeat offenders       \(NumberText.grouped(repeated.bannedEveryVisit)) of \(NumberText.grouped(repeated.units))"
                + " banned on every visit (\(NumberText.grouped(repeated.bansSeen)) bans for \(NumberText.grouped(repeated.visits)) visits)"
            if repeated.escalation {
                line += "; offences numbered 1, 2, … for \(NumberText.grouped(repeated.offencesInOrder))"
            }
            lines.append(line)
        }
        lines.append(
            "  blocklist              \(NumberText.grouped(blocklistSize)) members, \(NumberText.grouped(foreignBlocked)) not from this feed;"
                + " \(NumberText.grouped(blockEvents)) block events; \(NumberText.grouped(requests)) requests from \(NumberText.grouped(units)) units")
        lines.append("")
        lines.append(pad("kind", 24) + padLeft("units", 11) + padLeft("requests", 13) + padLeft("expected", 10) + padLeft("blocked", 9))
        for line in kinds {
            lines.append(
                pad(line.kind.label, 24) + padLeft(NumberText.grouped(line.units), 11)
                    + padLeft(NumberText.grouped(line.requests), 13) + padLeft(NumberText.grouped(line.expectedBlocked), 10)
                    + padLeft(NumberText.grouped(line.blocked), 9))
        }
        if rules.count > 1 || rules.contains(where: \.dryRun) {
            lines.append("")
            lines.append(pad("rule", 16) + pad("limit", 34) + padLeft("units over", 11) + padLeft("announced", 11))
            for rule in rules {
                let limit = "\(rule.threshold) per \(rule.window) s \(rule.mode)" + (rule.dryRun ? ", dry run" : "")
                lines.append(
                    pad(rule.name, 16) + pad(limit, 34) + padLeft(NumberText.grouped(rule.expectedOver), 11)
                        + padLeft(NumberText.grouped(rule.announced), 11))
            }
        }
        if verbose {
            if let ranges, !ranges.missed.isEmpty || !ranges.unexpected.isEmpty {
                lines.append("")
                if !ranges.missed.isEmpty { lines.append("ranges missed: " + ranges.missed.joined(separator: ", ")) }
                if !ranges.unexpected.isEmpty {
                    lines.append("ranges banned unexpectedly: " + ranges.unexpected.joined(separator: ", "))
                }
            }
            appendUnits("caught", caught, to: &lines)
            appendUnits("missed", missed, to: &lines)
            appendUnits("wrongly blocked", wronglyBlocked, to: &lines)
        }
        if !notes.isEmpty {
            lines.append("")
            for note in notes { lines.append("note: \(note)") }
        }
        return lines.joined(separator: "\n")
    }

    private func appendUnits(_ title: String, _ units: [UnitLine], to lines: inout [String]) {
        guard !units.isEmpty else { return }
        lines.append("")
        lines.append("\(title):")
        for unit in units {
            var text = "  " + pad(unit.unit, 28) + pad(unit.kind.rawValue, 9) + "sent " + padLeft(NumberText.grouped(unit.sent), 6)
            text += "  peak " + padLeft(NumberText.grouped(unit.peak), 6)
            if let sentAtBlock = unit.sentAtBlock { text += "  before block " + padLeft(NumberText.grouped(sentAtBlock), 6) }
            if let count = unit.countAtBlock { text += "  worker count " + NumberText.grouped(count) }
            lines.append(text)
        }
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private func padLeft(_ text: String, _ width: Int) -> String {
        text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
    }
}
