import Detection

extension IPWatcherConfiguration {
    /// One entry of `detection.rules`: a named limit with its own window, mode, shadow mode and ban length.
    ///
    /// In the file a rule is a mapping (`{name: burst, threshold: 10, window: 2}`); in the environment and in
    /// overrides, and in the file too if preferred, it is one line of text, ``text``:
    /// `NAME:THRESHOLD/WINDOW[:fixed|:rolling][:dry_run][:ban=SECONDS]`, several separated by commas
    /// (`IPWATCHER_DETECTION_RULES="burst:10/2,minute:15/60,hourly:300/3600:rolling:dry_run"`).
    public struct Rule: Sendable, Hashable {
        /// Letters, digits, `_` and `-`, 1 to 64 of them; unique among the rules.
        public var name: String
        /// Requests within ``window`` at which a unit crosses the rule, 1 to ``DetectionRule/maximumThreshold``.
        public var threshold: Int
        /// The window in seconds, 1 to ``DetectionRule/maximumWindowSeconds`` (7 days).
        public var window: Int
        /// How requests are counted.
        public var mode: DetectionMode
        /// Announce crossings with `"dry_run":true`, write nothing.
        public var dryRun: Bool
        /// How long this rule's bans last (0: for good); nil takes `blocklist.ban_seconds`.
        public var banSeconds: Int?

        /// Creates a rule; nothing is validated here.
        public init(
            name: String, threshold: Int, window: Int, mode: DetectionMode = .fixed, dryRun: Bool = false,
            banSeconds: Int? = nil
        ) {
            self.name = name
            self.threshold = threshold
            self.window = window
            self.mode = mode
            self.dryRun = dryRun
            self.banSeconds = banSeconds
        }

        /// The rule as one line of text, which ``parse(_:key:)`` reads back.
        public var text: String {
            var text = "\(name):\(threshold)/\(window)"
            if mode != .fixed { text += ":\(mode.rawValue)" }
            if dryRun { text += ":dry_run" }
            if let banSeconds { text += ":ban=\(banSeconds)" }
            return text
        }

        /// Reads and checks one rule's text; errors name `key` and show the text.
        public static func parse(_ raw: String, key: String = "detection.rules") throws(ConfigurationError) -> Rule {
            let text = ConfigurationValueReader.trimmed(raw)
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let format = "is not a rule NAME:THRESHOLD/WINDOW[:fixed|:rolling][:dry_run][:ban=SECONDS]"
            guard parts.count >= 2 else { throw ConfigurationError.invalid(key, raw, format) }
            let limit = parts[1].split(separator: "/", omittingEmptySubsequences: false)
            guard limit.count == 2 else { throw ConfigurationError.invalid(key, raw, format) }
            var rule = Rule(name: parts[0], threshold: 0, window: 0)
            guard DetectionRule.isValidName(rule.name) else {
                throw ConfigurationError.invalid(
                    key, raw, "has a name that is not 1 to 64 letters, digits, _ or -")
            }
            guard let threshold = Int(limit[0]), (1...DetectionRule.maximumThreshold).contains(threshold) else {
                throw ConfigurationError.invalid(
                    key, raw, "has a threshold that is not an integer from 1 to \(DetectionRule.maximumThreshold)")
            }
            guard let window = Int(limit[1]), (1...DetectionRule.maximumWindowSeconds).contains(window) else {
                throw ConfigurationError.invalid(
                    key, raw, "has a window that is not a number of seconds from 1 to \(DetectionRule.maximumWindowSeconds)")
            }
            rule.threshold = threshold
            rule.window = window
            for option in parts.dropFirst(2) {
                if let mode = DetectionMode(rawValue: option.lowercased()) {
                    rule.mode = mode
                } else if option.lowercased() == "dry_run" {
                    rule.dryRun = true
                } else if option.lowercased().hasPrefix("ban=") {
                    guard let seconds = Int(option.dropFirst(4)), (0...BanExpiry.maximumSeconds).contains(seconds) else {
                        throw ConfigurationError.invalid(
                            key, raw, "has a ban that is not a number of seconds from 0 to \(BanExpiry.maximumSeconds)")
                    }
                    rule.banSeconds = seconds
                } else {
                    throw ConfigurationError.invalid(
                        key, raw, "has an unknown option \(ConfigurationError.quoted(option)) (fixed, rolling, dry_run, ban=SECONDS)")
                }
            }
            return rule
        }
    }
}
