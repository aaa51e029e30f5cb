import ArgumentParser
import Detection
import Foundation
import IPWatcherDaemon

/// `ipwatcher blocklist explain ADDR`: why a customer is blocked, or how close they are.
struct BlocklistExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Why an address is blocked: its unit, allowlisting, each rule's count, its ban and a banned range.")

    @OptionGroup var options: ConfigurationOptions

    @ParentCommand var group: BlocklistCommand

    @Argument(help: "An IPv4 or IPv6 address (or a unit name such as 2001:db8:1:2::/64).")
    var address: String

    @Flag(help: "Print JSON instead of lines.")
    var json = false

    func run() async throws {
        let context = try await BlocklistContext(options: options.merging(group.connection))
        let unit = try context.unit(for: address)
        let now = WallClock().nowMilliseconds()
        let settings = context.settings
        let explanation = try await context.withStore {
            try await $0.explain(address: IPAddress(address), unit: unit, settings: settings, now: now)
        }
        print(json ? Self.json(explanation) : Self.text(explanation, now: now), terminator: json ? "\n" : "")
    }

    /// The explanation as one JSON object: `unit`, `allowlisted`, `rules`, `blocked`, `ban`, `range`.
    static func json(_ explanation: UnitExplanation) -> String {
        var object = JSONObjectWriter(capacity: 512)
        object.add("unit", explanation.unit)
        object.add("allowlisted", explanation.isAllowlisted)
        var text = object.openObject + ",\"rules\":"
        text += JSONObjectWriter.array(
            explanation.rules.map { state in
                var rule = JSONObjectWriter(capacity: 160)
                rule.add("name", state.rule.name)
                rule.add("count", state.count)
                rule.add("threshold", state.rule.threshold)
                rule.add("window", state.rule.windowSeconds)
                rule.add("mode", state.rule.mode.rawValue)
                rule.add("dry_run", state.rule.dryRun)
                rule.add("near_limit", state.isNearLimit)
                rule.add("over", state.isOver)
                rule.add("resets_at", state.resetsAt)
                return rule.json
            })
        text += ",\"blocked\":" + (explanation.isBlocked ? "true" : "false")
        text += ",\"ban\":" + (explanation.ban.map { banJSON($0).json } ?? "null")
        text += ",\"range\":"
        if let range = explanation.range {
            var item = banJSON(range.ban)
            item.add("range", range.range)
            text += item.json
        } else {
            text += "null"
        }
        return text + "}"
    }

    /// A ban's fields: `rule`, `offence`, `since`, `expires_at`, `manual`.
    private static func banJSON(_ ban: UnitExplanation.Ban) -> JSONObjectWriter {
        var item = JSONObjectWriter(capacity: 160)
        if let rule = ban.rule { item.add("rule", rule) } else { item.add("rule", nil) }
        item.add("offence", ban.offence.map(Int64.init))
        item.add("since", ban.since)
        item.add("expires_at", ban.expiresAt)
        item.add("manual", ban.isManual)
        return item
    }

    /// The explanation as lines for people.
    static func text(_ explanation: UnitExplanation, now: Int64) -> String {
        var lines = ["unit: \(explanation.unit)"]
        if explanation.isAllowlisted { lines.append("allowlisted: yes (never counted or blocked)") }
        func describe(_ ban: UnitExplanation.Ban) -> String {
            var line = BlocklistContext.remaining(ban.expiresAt, now: now)
            if ban.isManual { line += ", added by hand" }
            if let rule = ban.rule { line += ", by rule \(rule)" }
            if let offence = ban.offence { line += ", offence \(offence)" }
            if let since = ban.since { line += ", since \(Self.timestamp(since))" }
            return line
        }
        if let ban = explanation.ban {
            lines.append("blocked: yes, " + describe(ban))
        } else if explanation.range == nil {
            lines.append("blocked: no")
        }
        if let range = explanation.range {
            lines.append("blocked: yes, range \(range.range) is banned, " + describe(range.ban))
        }
        lines.append("rules:")
        let width = explanation.rules.map(\.rule.name.count).max() ?? 0
        for state in explanation.rules {
            let rule = state.rule
            var line = "  " + rule.name + String(repeating: " ", count: width - rule.name.count)
            line += "  \(state.count) of \(rule.threshold) in \(rule.windowSeconds) s \(rule.mode.rawValue)"
            if state.isOver { line += ", over" } else if state.isNearLimit { line += ", near the limit" }
            if let resetsAt = state.resetsAt { line += ", goes down at \(Self.timestamp(resetsAt))" }
            if rule.dryRun { line += " (dry run)" }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Unix milliseconds as UTC ISO 8601, to the second.
    static func timestamp(_ milliseconds: Int64) -> String {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(.iso8601)
    }
}
