/// Draws a ``TopSnapshot`` as lines of text for a screen of a given size, or unbounded for a plain snapshot.
///
/// Pure: the same snapshot and size give the same lines, with no escape codes (the terminal loop adds those).
/// Every line fits `width` (cut with "…"); with a `height`, the figures at the top always show and the rows of
/// the rule and block sections are shared out fairly among them, one row at a time, so a long list of blocks
/// cannot push a rule off the screen. Unknown figures show as "—".
public struct TopRenderer: Sendable {
    /// Columns available, or nil for no limit.
    public var width: Int?
    /// Lines available, or nil for no limit.
    public var height: Int?

    /// A renderer for a screen of `width` × `height` (nil: unbounded).
    public init(width: Int? = nil, height: Int? = nil) {
        self.width = width.map { max($0, 1) }
        self.height = height.map { max($0, 1) }
    }

    /// One section below the figures: lines that always show, then rows shown as space allows.
    struct Section {
        /// The title and column headings.
        var head: [String]
        /// The rows, most important first.
        var rows: [String]
        /// Shown when there are no rows.
        var empty: String
        /// Shown after the rows (a cap or a count of rows left out).
        var tail: [String] = []
    }

    /// The snapshot's lines; `hint` ("q quits", "every 1 s") ends the title line.
    public func lines(_ snapshot: TopSnapshot, hint: String? = nil) -> [String] {
        var head = [title(snapshot, hint: hint)]
        if let error = snapshot.redisError { head.append("Redis: \(error)") }
        head += figures(snapshot)
        let sections = snapshot.rules.map(ruleSection) + [blocksSection(snapshot)]
        var lines = head
        let rows = rowsShown(sections, available: height.map { $0 - head.count - sections.count })
        for (section, shown) in zip(sections, rows) {
            lines.append("")
            lines += section.head
            if section.rows.isEmpty {
                lines.append(section.empty)
            } else {
                lines += section.rows.prefix(shown)
                if shown < section.rows.count { lines.append("  … \(section.rows.count - shown) more") }
            }
            lines += section.tail
        }
        if let height, lines.count > height { lines.removeLast(lines.count - height) }
        return lines.map(fit)
    }

    /// How many rows of each section show in `available` lines (nil: all): every section first gets the lines it
    /// always needs, then the rest goes one row at a time to each section in turn.
    func rowsShown(_ sections: [Section], available: Int?) -> [Int] {
        guard let available else { return sections.map(\.rows.count) }
        // A section whose rows are cut needs a line for "… N more".
        var left = available - sections.reduce(0) { $0 + $1.head.count + $1.tail.count + 1 }
        var shown = sections.map { $0.rows.isEmpty ? 0 : 1 }
        left -= sections.filter { $0.rows.count > 1 }.count
        var growing = true
        while left > 0 && growing {
            growing = false
            for index in sections.indices where left > 0 && shown[index] < sections[index].rows.count {
                shown[index] += 1
                left -= 1
                growing = true
            }
        }
        // Where everything fits the "… more" line is not needed: give it back as a row.
        for index in sections.indices where shown[index] == sections[index].rows.count - 1 && left >= 0 {
            shown[index] += 1
        }
        return shown
    }

    /// `ipwatcher top  <redis>  <time> UTC  <hint>`.
    func title(_ snapshot: TopSnapshot, hint: String?) -> String {
        var text = "ipwatcher top  \(snapshot.redis)  \(Self.clock(snapshot.takenAt)) UTC"
        if let hint { text += "  (\(hint))" }
        return text
    }

    /// The figures, one a line: name, value, source.
    func figures(_ snapshot: TopSnapshot) -> [String] {
        var figures: [(String, TopSnapshot.Figure, Bool)] = [
            ("entries/s", snapshot.entriesPerSecond, false), ("blocks/min", snapshot.blocksPerMinute, false),
            ("queue", snapshot.queueLength, true), ("blocklist", snapshot.blocklistSize, true),
        ]
        if let ranges = snapshot.rangesBanned { figures.append(("ranges", ranges, true)) }
        return figures.map { name, figure, whole in
            let value = figure.value.map { whole ? Self.grouped(Int($0)) : Self.decimal($0) } ?? "—"
            return Self.padded(name, 11) + Self.padded(value, 12, right: true) + "  " + figure.source
        }
    }

    /// A rule's title, column headings and nearest units.
    func ruleSection(_ view: TopSnapshot.RuleView) -> Section {
        let rule = view.rule
        var title = "rule \(rule.summary): \(Self.grouped(view.unitsCounted)) units counting"
        if view.blockedLeftOut > 0 { title += ", \(Self.grouped(view.blockedLeftOut)) blocked not shown" }
        let unitWidth = unitColumn(view.nearest.map(\.unit))
        let heading = "  " + Self.padded("unit", unitWidth) + "  " + Self.padded("count", 9, right: true)
            + Self.padded("of", 9, right: true) + Self.padded("%", 6, right: true)
        let rows = view.nearest.map { unit in
            // Clamped: a counter set by hand may hold any number, and Int(_:) traps past Int.max.
            let percent = rule.threshold > 0 ? Int(min(Double(unit.count) * 100 / Double(rule.threshold), 1e15)) : 0
            return "  " + Self.padded(unit.unit, unitWidth) + "  " + Self.padded(Self.grouped(unit.count), 9, right: true)
                + Self.padded(Self.grouped(rule.threshold), 9, right: true) + Self.padded("\(percent)%", 6, right: true)
        }
        return Section(
            head: [title, heading], rows: rows, empty: "  (no unit counting in this window)",
            tail: view.capNote.map { ["  \($0)"] } ?? [])
    }

    /// The bans in force, newest first.
    func blocksSection(_ snapshot: TopSnapshot) -> Section {
        let blocks = snapshot.latestBlocks
        let unitWidth = unitColumn(blocks.map(\.unit))
        let heading = "  " + Self.padded("since", 17) + Self.padded("unit", unitWidth) + "  by"
        let rows = blocks.map { block in
            var by = block.isManual ? "hand" : block.rule ?? "?"
            // The ban script records offence 0 while escalation is off.
            if let offence = block.offence, offence > 0 { by += ", offence \(offence)" }
            let since = Self.clock(block.since) + " " + Self.age(snapshot.takenAt - block.since)
            return "  " + Self.padded(since, 17) + Self.padded(block.unit, unitWidth) + "  " + by
        }
        return Section(
            head: ["latest blocks (bans in force, newest first)", heading], rows: rows,
            empty: snapshot.redisError == nil ? "  (no ban in force)" : "  —",
            tail: snapshot.blocksNote.map { ["  \($0)"] } ?? [])
    }

    /// The width of a unit column: the longest name, at least "unit", at most an IPv6 network's 43 characters.
    func unitColumn(_ names: [String]) -> Int {
        min(max(names.map(\.count).max() ?? 0, 4), 43)
    }

    /// `line` cut to ``width`` with "…".
    func fit(_ line: String) -> String {
        guard let width, line.count > width else { return line }
        return String(line.prefix(width - 1)) + "…"
    }
}
