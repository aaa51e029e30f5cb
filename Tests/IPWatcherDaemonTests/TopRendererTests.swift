import Detection
import IPWatcherDaemon
import Testing

/// `ipwatcher top`'s screen, drawn from snapshots made by hand: what each figure says, how rows are ordered, cut
/// and shared out, and what an empty or unreachable state looks like.
@Suite("ipwatcher top: the renderer")
struct TopRendererTests {
    static let burst = DetectionRule(name: "burst", mode: .fixed, threshold: 20, windowSeconds: 10)
    static let minute = DetectionRule(name: "minute", mode: .rolling, threshold: 100, windowSeconds: 60)
    /// 2026-12-06T02:00:00Z.
    static let now: Int64 = 1_796_522_400_000

    /// A snapshot with two rules, three bans and every figure known.
    static var busy: TopSnapshot {
        TopSnapshot(
            takenAt: now, redis: "redis://127.0.0.1:6379",
            entriesPerSecond: .init(1234.56, source: "metrics 127.0.0.1:9464, over the last 1.0 s"),
            blocksPerMinute: .init(3, source: "metrics 127.0.0.1:9464, over the last 59.9 s"),
            queueLength: .init(1_500_000, source: "redis LLEN ips"), blocklistSize: .init(3, source: "redis SCARD blocklist"),
            rules: [
                .init(
                    rule: burst,
                    nearest: [.init(unit: "198.51.100.9", count: 19), .init(unit: "2001:db8:1:2::/64", count: 4)],
                    unitsCounted: 5, blockedLeftOut: 3),
                .init(rule: minute, nearest: [], unitsCounted: 0, capNote: "partial: scan stopped at 50000 keys"),
            ],
            latestBlocks: [
                .init(unit: "203.0.113.7", since: now - 5_000, rule: "burst", offence: 2),
                .init(unit: "203.0.113.8", since: now - 125_000, rule: "minute", offence: 0),
                .init(unit: "192.0.2.1", since: now - 7_200_000, rule: nil, isManual: true),
            ])
    }

    @Test("the figures say their value and their source, unknown ones a dash")
    func figuresWithSources() {
        var snapshot = Self.busy
        snapshot.blocksPerMinute = .init(nil, source: "metrics 127.0.0.1:9464: connection refused")
        let lines = TopRenderer().lines(snapshot, hint: "every 1.0 s, q quits")
        #expect(lines[0] == "ipwatcher top  redis://127.0.0.1:6379  02:00:00 UTC  (every 1.0 s, q quits)")
        #expect(lines[1] == "entries/s       1,234.6  metrics 127.0.0.1:9464, over the last 1.0 s")
        #expect(lines[2] == "blocks/min            —  metrics 127.0.0.1:9464: connection refused")
        #expect(lines[3] == "queue         1,500,000  redis LLEN ips")
        #expect(lines[4] == "blocklist             3  redis SCARD blocklist")
        #expect(!lines.contains { $0.hasPrefix("ranges") }, "range bans are off")
    }

    @Test("a rule lists its units with count, threshold and percent, in the order given, blocked ones counted apart")
    func ruleRows() {
        let lines = TopRenderer().lines(Self.busy)
        let title = lines.firstIndex { $0.hasPrefix("rule burst") }
        let index = try! #require(title)
        #expect(lines[index] == "rule burst: 20 per 10 s, fixed: 5 units counting, 3 blocked not shown")
        #expect(lines[index + 1] == "  unit                   count       of     %")
        #expect(lines[index + 2] == "  198.51.100.9              19       20   95%")
        #expect(lines[index + 3] == "  2001:db8:1:2::/64          4       20   20%")
        #expect(lines.contains("rule minute: 100 per 60 s, rolling: 0 units counting"))
        #expect(lines.contains("  (no unit counting in this window)"))
        #expect(lines.contains("  partial: scan stopped at 50000 keys"))
    }

    @Test("the latest blocks show when, how long ago, the unit and the rule or hand")
    func blockRows() {
        let lines = TopRenderer().lines(Self.busy)
        #expect(lines.contains("  01:59:55 (5s)    203.0.113.7  burst, offence 2"))
        #expect(lines.contains("  01:57:55 (2m)    203.0.113.8  minute"))
        #expect(lines.contains("  00:00:00 (2h)    192.0.2.1    hand"))
    }

    @Test("a count set by hand far past the threshold shows a percent instead of trapping")
    func hugeCount() {
        var snapshot = Self.busy
        snapshot.rules[0].nearest = [.init(unit: "198.51.100.9", count: .max)]
        let lines = TopRenderer().lines(snapshot)
        #expect(lines.contains { $0.hasPrefix("  198.51.100.9") && $0.hasSuffix("1000000000000000%") }, "\(lines)")
    }

    @Test("every line is cut to the width with an ellipsis")
    func cutToWidth() {
        let lines = TopRenderer(width: 30).lines(Self.busy, hint: "q quits")
        #expect(lines.allSatisfy { $0.count <= 30 }, "\(lines)")
        #expect(lines[0] == "ipwatcher top  redis://127.0.…")
        #expect(lines.contains("  198.51.100.9              1…"))
    }

    @Test("a short screen keeps the figures and shares the rows out, saying how many are left out")
    func fitsHeight() {
        var snapshot = Self.busy
        snapshot.rules[0].nearest = (1...30).map { .init(unit: "198.51.100.\($0)", count: 19) }
        snapshot.latestBlocks = (1...30).map { .init(unit: "203.0.113.\($0)", since: Self.now - Int64($0) * 1000, rule: "burst") }
        let lines = TopRenderer(width: 120, height: 24).lines(snapshot)
        #expect(lines.count == 24, "\(lines.joined(separator: "\n"))")
        #expect(lines[1].hasPrefix("entries/s") && lines[4].hasPrefix("blocklist"))
        #expect(lines.contains { $0.hasPrefix("rule minute") }, "the second rule is not pushed off")
        #expect(lines.contains { $0.hasPrefix("latest blocks") })
        let more = lines.filter { $0.hasPrefix("  … ") }
        #expect(more.count == 2, "\(lines.joined(separator: "\n"))")
        #expect(lines.contains("  198.51.100.1          19       20   95%"), "the first row shows")
        #expect(lines.contains { $0.contains("203.0.113.1 ") }, "the newest block shows")
    }

    @Test("with nothing counting and no bans, each section says so")
    func emptyState() {
        let snapshot = TopSnapshot(
            takenAt: Self.now, redis: "redis://127.0.0.1:6379",
            queueLength: .init(0, source: "redis LLEN ips"), blocklistSize: .init(0, source: "redis SCARD blocklist"),
            rules: [.init(rule: Self.burst, nearest: [], unitsCounted: 0)])
        let lines = TopRenderer(width: 80, height: 40).lines(snapshot)
        #expect(lines.contains("  (no unit counting in this window)"))
        #expect(lines.contains("  (no ban in force)"))
        #expect(lines.contains("entries/s             —  not read"))
    }

    @Test("Redis unreachable: the error shows under the title and no figure is made up")
    func unreachable() {
        let snapshot = TopSnapshot(
            takenAt: Self.now, redis: "redis://127.0.0.1:1", redisError: "connection refused (trying again every 1.0 s)")
        let lines = TopRenderer(width: 100, height: 30).lines(snapshot)
        #expect(lines[1] == "Redis: connection refused (trying again every 1.0 s)")
        #expect(lines.contains("queue                 —  not read"))
        #expect(lines.contains("  —"), "no bans are claimed")
    }
}
