import Detection
import IPWatcherTestSupport
import Testing

@testable import IPWatcherDaemon

/// `detection.rules` and `detection.near_limit`: from the file (mappings or text), the environment and overrides;
/// every mistake refused in one line naming the key.
@Suite("Configuration: several rules")
struct RuleConfigurationTests {
    static let threeRules = """
        detection:
          ipv4_prefix: 24
          rules:
            - {name: burst,  threshold: 10,  window: 2}
            - {name: minute, threshold: 15,  window: 60, ban_seconds: 600}
            - {name: hourly, threshold: 300, window: 3600, mode: rolling, dry_run: true}
        """

    /// Loads `text` as the configuration file.
    static func load(_ text: String, environment: [String: String] = [:]) async throws -> IPWatcherConfiguration {
        try await withScratchDirectory { scratch in
            try await loadConfiguration(file: try scratch.write(text, to: "ipwatcher.yaml"), environment: environment)
        }
    }

    /// The one-line error loading `text` fails with, or nil.
    static func error(_ text: String, environment: [String: String] = [:]) async throws -> ConfigurationError? {
        try await withScratchDirectory { scratch in
            await loadingError(file: try scratch.write(text, to: "ipwatcher.yaml"), environment: environment)
        }
    }

    @Test("the issue's three rules load from YAML mappings into three rules sharing the section's unit prefixes")
    func threeRulesFromTheFile() async throws {
        let configuration = try await Self.load(Self.threeRules)
        #expect(configuration.detection.rules == [
            .init(name: "burst", threshold: 10, window: 2),
            .init(name: "minute", threshold: 15, window: 60, banSeconds: 600),
            .init(name: "hourly", threshold: 300, window: 3600, mode: .rolling, dryRun: true),
        ])
        let detection = configuration.workerSettings.detection
        #expect(detection.rules.map(\.name) == ["burst", "minute", "hourly"])
        #expect(detection.rules.allSatisfy { $0.ipv4Prefix == 24 && $0.allowlist == DetectionRule.defaultAllowlist })
        #expect(detection.banSeconds(of: detection.rules[0]) == 3600)
        #expect(detection.banSeconds(of: detection.rules[1]) == 600)
        #expect(detection.rules[2].mode == .rolling && detection.rules[2].dryRun)
        #expect(!detection.dryRun, "two of three rules enforce")
    }

    @Test("without detection.rules the single-rule keys make one rule named default; the sample file is the defaults")
    func singleRuleKeysMakeTheDefaultRule() async throws {
        let configuration = try await loadConfiguration(overrides: ["detection.threshold": "20", "detection.dry_run": "true"])
        let rules = configuration.workerSettings.detection.rules
        #expect(rules.count == 1)
        #expect(rules[0].name == "default" && rules[0].threshold == 20 && rules[0].windowSeconds == 60 && rules[0].dryRun)
        #expect(rules[0].banSeconds == nil)
        #expect(IPWatcherConfiguration.defaults.detection.rules.isEmpty)
        #expect(IPWatcherConfiguration.defaults.detection.nearLimit == 0.8)
    }

    @Test("rules as text: the environment, an override and a list of strings in the file read the same")
    func rulesAsText() async throws {
        let text = "burst:10/2, minute:15/60:ban=600, hourly:300/3600:rolling:dry_run"
        let fromFile = try await Self.load(Self.threeRules)
        let fromEnvironment = try await loadConfiguration(
            environment: ["IPWATCHER_DETECTION_RULES": text, "IPWATCHER_DETECTION_IPV4_PREFIX": "24"])
        let fromOverride = try await loadConfiguration(
            overrides: ["detection.rules": text, "detection.ipv4_prefix": "24"])
        let fromStrings = try await Self.load(
            "detection:\n  ipv4_prefix: 24\n  rules: [\"burst:10/2\", \"minute:15/60:ban=600\", \"hourly:300/3600:rolling:dry_run\"]\n")
        #expect(fromEnvironment == fromFile)
        #expect(fromOverride == fromFile)
        #expect(fromStrings == fromFile)
        // The environment wins over the file, as for every key.
        let layered = try await Self.load(Self.threeRules, environment: ["IPWATCHER_DETECTION_RULES": "only:3/1"])
        #expect(layered.detection.rules.map(\.name) == ["only"])
    }

    @Test("sliding is a mode like the others: in a rule's text, in the file, and as detection.mode; it shares fixed counters")
    func slidingMode() async throws {
        let fromText = try await loadConfiguration(overrides: ["detection.rules": "burst:10/2:sliding, minute:15/60"])
        let fromFile = try await Self.load(
            "detection:\n  rules:\n    - {name: burst, threshold: 10, window: 2, mode: sliding}\n    - {name: minute, threshold: 15, window: 60}\n")
        #expect(fromText == fromFile)
        let rules = WorkerSettings(configuration: fromText).detection.rules
        #expect(rules.map(\.mode) == [.sliding, .fixed])
        #expect(rules[0].counter == RuleCounter(mode: .fixed, windowSeconds: 2), "a sliding rule reads fixed counters")
        #expect(fromText.renderedYAML().contains(#"rules: ["burst:10/2:sliding", "minute:15/60"]"#))
        let single = try await Self.load("detection:\n  mode: sliding\n")
        #expect(WorkerSettings(configuration: single).detection.singleRule.mode == .sliding)
    }

    @Test("check-config shows the rules, leaves the single-rule keys out, and its output loads back equal")
    func renderedRulesLoadBack() async throws {
        let configuration = try await Self.load(Self.threeRules)
        let rendered = configuration.renderedYAML()
        #expect(rendered.contains(#"rules: ["burst:10/2", "minute:15/60:ban=600", "hourly:300/3600:rolling:dry_run"]"#))
        #expect(!rendered.contains("threshold:") && !rendered.contains("dry_run:"))
        #expect(rendered.contains("near_limit: 0.8"))
        #expect(try await Self.load(rendered) == configuration)
    }

    @Test("setting a single-rule key beside detection.rules is refused, naming both keys",
        arguments: [
            ("detection:\n  threshold: 20\n  rules: [\"a:1/1\"]\n", [:], "detection.threshold"),
            ("detection:\n  rules: [\"a:1/1\"]\n", ["IPWATCHER_DETECTION_WINDOW": "30"], "detection.window"),
            ("detection:\n  rules: [\"a:1/1\"]\n  mode: rolling\n", [:], "detection.mode"),
            ("detection:\n  rules: [\"a:1/1\"]\n  dry_run: false\n", [:], "detection.dry_run"),
        ] as [(String, [String: String], String)])
    func bothKindsAreRefused(text: String, environment: [String: String], key: String) async throws {
        let error = try #require(try await Self.error(text, environment: environment))
        #expect(error.key == "detection.rules", "\(error)")
        #expect(error.description.contains(key), "\(error)")
        #expect(!error.description.contains("\n"))
    }

    @Test("a broken rule is refused in one line naming detection.rules and what is wrong",
        arguments: [
            ("[{name: a, threshold: 0, window: 2}]", "threshold"),
            ("[{name: a, threshold: 5, window: 604801}]", "window"),
            ("[{name: a, threshold: 5, window: 0}]", "window"),
            ("[{name: a, threshold: 5, window: 2, mode: leaky}]", "unknown option"),
            ("[{name: a, threshold: 5, window: 2, dry_run: maybe}]", "dry_run"),
            ("[{name: a, threshold: 5, window: 2, ban_seconds: -1}]", "ban"),
            ("[{name: a, threshold: 5, window: 2, burst: 3}]", "unknown field \"burst\""),
            ("[{name: a, threshold: 5}]", "needs window"),
            ("[{threshold: 5, window: 2}]", "needs name"),
            ("[{name: \"a b\", threshold: 5, window: 2}]", "name"),
            ("[{name: a, threshold: \"5/2\", window: 2}]", "not a plain value"),
            ("[{name: a, threshold: 5, window: 2}, {name: a, threshold: 9, window: 60}]", "repeats the name a"),
            ("[\"a:5\"]", "is not a rule"),
            ("[[1, 2]]", "entry 1"),
        ])
    func brokenRulesAreRefused(rules: String, problem: String) async throws {
        let error = try #require(try await Self.error("detection:\n  rules: \(rules)\n"), "\(rules) was accepted")
        #expect(error.key == "detection.rules", "\(error)")
        #expect(error.description.contains(problem), "\(error)")
        #expect(!error.description.contains("\n"))
    }

    @Test("a week-long window is accepted for a rule", arguments: [1, 604_800])
    func windowBounds(window: Int) async throws {
        let configuration = try await loadConfiguration(overrides: ["detection.rules": "weekly:1000/\(window)"])
        #expect(configuration.workerSettings.detection.rules[0].windowSeconds == window)
    }

    @Test("near_limit is a fraction above 0 and at most 1", arguments: ["0", "1.5", "-0.2", "abc", "nan"])
    func nearLimitBounds(value: String) async throws {
        let error = try #require(await loadingError(overrides: ["detection.near_limit": value]), "\(value) was accepted")
        #expect(error.key == "detection.near_limit", "\(error)")
        let accepted = try await loadConfiguration(overrides: ["detection.near_limit": "1"])
        #expect(accepted.workerSettings.detection.nearLimitRatio == 1)
    }
}
