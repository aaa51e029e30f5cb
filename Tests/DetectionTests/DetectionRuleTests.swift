import Detection
import Testing

@Suite("Detection rule")
struct DetectionRuleTests {
    @Test("defaults are the product's documented defaults")
    func defaults() {
        let rule = DetectionRule()
        #expect(rule.mode == .fixed)
        #expect(rule.threshold == 15)
        #expect(rule.windowSeconds == 60)
        #expect(rule.ipv4Prefix == 32)
        #expect(rule.ipv6Prefix == 64)
        #expect(rule.allowlist.map(\.description) == ["127.0.0.0/8", "::1/128"])
        #expect(rule.allowlist == DetectionRule.defaultAllowlist)
        #expect(rule.windowMilliseconds == 60_000)
        #expect(rule.fixedWindow == FixedWindow(lengthSeconds: 60))
    }

    @Test("the initializer sets every field")
    func initializer() throws {
        let allowlist = [try #require(IPNetwork("10.0.0.0/8"))]
        let rule = DetectionRule(mode: .rolling, threshold: 3, windowSeconds: 10, ipv4Prefix: 24, ipv6Prefix: 48, allowlist: allowlist)
        #expect(rule.mode == .rolling)
        #expect(rule.threshold == 3)
        #expect(rule.windowSeconds == 10)
        #expect(rule.ipv4Prefix == 24)
        #expect(rule.ipv6Prefix == 48)
        #expect(rule.allowlist == allowlist)
        #expect(rule.windowMilliseconds == 10_000)
    }

    @Test(
        "the default allowlist holds loopback in every spelling and nothing else",
        arguments: [
            ("127.0.0.1", true), ("127.255.255.255", true), ("127.0.0.0", true), ("::1", true),
            ("::ffff:127.0.0.1", true), ("0:0:0:0:0:0:0:1", true),
            ("128.0.0.1", false), ("126.255.255.255", false), ("::2", false), ("::", false),
            ("::ffff:128.0.0.1", false), ("1.2.3.4", false), ("::127.0.0.1", false), ("2001:db8::1", false),
            ("10.0.0.1", false), ("0.0.0.0", false),
        ])
    func defaultAllowlist(address: String, allowlisted: Bool) throws {
        #expect(DetectionRule().isAllowlisted(try #require(IPAddress(address))) == allowlisted)
    }

    @Test("a custom allowlist replaces the default; an empty one allows nothing")
    func customAllowlist() throws {
        var rule = DetectionRule(allowlist: [try #require(IPNetwork("192.0.2.0/24")), try #require(IPNetwork("2001:db8::/32"))])
        #expect(rule.isAllowlisted(try #require(IPAddress("192.0.2.9"))))
        #expect(rule.isAllowlisted(try #require(IPAddress("::ffff:192.0.2.9"))))
        #expect(rule.isAllowlisted(try #require(IPAddress("2001:db8:5::1"))))
        #expect(!rule.isAllowlisted(try #require(IPAddress("127.0.0.1"))))
        #expect(!rule.isAllowlisted(try #require(IPAddress("192.0.3.1"))))
        rule.allowlist = []
        #expect(!rule.isAllowlisted(try #require(IPAddress("127.0.0.1"))))
        #expect(!rule.isAllowlisted(try #require(IPAddress("192.0.2.9"))))
    }

    @Test("unit(for:) aggregates with the rule's prefixes")
    func unitForAddress() throws {
        let rule = DetectionRule(ipv4Prefix: 24, ipv6Prefix: 48)
        #expect(rule.unit(for: try #require(IPAddress("198.51.100.77"))).name == "198.51.100.0/24")
        #expect(rule.unit(for: try #require(IPAddress("::ffff:198.51.100.77"))).name == "198.51.100.0/24")
        #expect(rule.unit(for: try #require(IPAddress("2001:db8:1:2::1"))).name == "2001:db8:1::/48")
        #expect(DetectionRule().unit(for: try #require(IPAddress("203.0.113.7"))).name == "203.0.113.7")
        #expect(DetectionRule().unit(for: try #require(IPAddress("2001:db8:1:2:3:4:5:6"))).name == "2001:db8:1:2::/64")
    }

    @Test(
        "crossed is true only for the update that reaches the threshold",
        arguments: [
            (14, 15, true), (0, 15, true), (14, 16, true), (0, 100, true), (-3, 15, true),
            (15, 16, false), (15, 15, false), (16, 20, false), (13, 14, false), (14, 14, false),
            (0, 0, false), (0, 14, false), (20, 10, false),
        ])
    func crossedTruthTable(before: Int, after: Int, expected: Bool) {
        #expect(DetectionRule().crossed(before: before, after: after) == expected)
    }

    @Test("crossed follows the configured threshold exhaustively", arguments: [1, 2, 15, 100])
    func crossedExhaustive(threshold: Int) {
        let rule = DetectionRule(threshold: threshold)
        for before in 0...(threshold + 2) {
            for after in before...(threshold + 3) {
                #expect(rule.crossed(before: before, after: after) == (before < threshold && after >= threshold))
            }
        }
    }

    @Test("modes have stable names")
    func modeNames() {
        #expect(DetectionRule.Mode.allCases.map(\.rawValue) == ["fixed", "rolling", "sliding"])
        #expect(DetectionRule.Mode(rawValue: "rolling") == .rolling)
        #expect(DetectionRule.Mode(rawValue: "sliding") == .sliding)
        #expect(DetectionRule.Mode(rawValue: "leaky") == nil)
    }

    @Test("a rule is named default, enforces, and takes the blocklist's ban unless told otherwise")
    func namedRuleDefaults() {
        let rule = DetectionRule()
        #expect(rule.name == "default" && !rule.dryRun && rule.banSeconds == nil)
        #expect(rule.summary == "default: 15 per 60 s, fixed")
        let hourly = DetectionRule(name: "hourly", mode: .rolling, threshold: 300, windowSeconds: 3600, dryRun: true, banSeconds: 60)
        #expect(hourly.summary == "hourly: 300 per 3600 s, rolling, ban 60 s, dry run")
    }

    @Test("near the limit: from the share of the threshold, rounded up, to just below it")
    func nearLimit() {
        let rule = DetectionRule(threshold: 15)
        #expect(rule.nearLimitCount(ratio: 0.8) == 12)
        #expect(!rule.isNearLimit(11, ratio: 0.8))
        #expect(rule.isNearLimit(12, ratio: 0.8) && rule.isNearLimit(14, ratio: 0.8))
        #expect(!rule.isNearLimit(15, ratio: 0.8), "at the threshold a unit is over, not near")
        #expect(DetectionRule(threshold: 1).nearLimitCount(ratio: 0.5) == 1)
        #expect(DetectionRule(threshold: .max).nearLimitCount(ratio: 1) == .max)
    }

    @Test("rule names are 1 to 64 letters, digits, _ or -", arguments: [
        ("burst", true), ("per-minute_2", true), (String(repeating: "a", count: 64), true),
        ("", false), (String(repeating: "a", count: 65), false), ("a b", false), ("a:b", false), ("é", false),
    ])
    func ruleNames(name: String, valid: Bool) {
        #expect(DetectionRule.isValidName(name) == valid)
    }

    @Test("rules with the same mode and window share a counter; the others get their own, in rule order")
    func counterGrouping() {
        let rules = [
            DetectionRule(name: "a", threshold: 5, windowSeconds: 60),
            DetectionRule(name: "b", mode: .rolling, threshold: 8, windowSeconds: 60),
            DetectionRule(name: "c", threshold: 9, windowSeconds: 60, banSeconds: 0),
            DetectionRule(name: "d", threshold: 10, windowSeconds: 2),
        ]
        let grouped = RuleCounter.grouping(rules)
        #expect(grouped.map(\.counter) == [
            RuleCounter(mode: .fixed, windowSeconds: 60), RuleCounter(mode: .rolling, windowSeconds: 60),
            RuleCounter(mode: .fixed, windowSeconds: 2),
        ])
        #expect(grouped.map(\.rules) == [[0, 2], [1], [3]])
    }
}
