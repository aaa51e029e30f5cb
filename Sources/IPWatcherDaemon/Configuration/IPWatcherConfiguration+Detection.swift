import Detection

extension IPWatcherConfiguration {
    /// The `detection` section: what makes an address a bot.
    public struct Detection: Sendable, Hashable {
        /// How requests are counted.
        public var mode: DetectionMode
        /// Requests within ``window`` at which an address is blocked, 1 to
        /// ``Detection/DetectionRule/maximumThreshold``.
        public var threshold: Int
        /// Length of the counting window in seconds, 1...86400.
        public var window: Int
        /// IPv4 addresses are counted per network of this prefix length, 0...32 (32: per address).
        public var ipv4Prefix: Int
        /// IPv6 addresses are counted per network of this prefix length, 0...128 (64: per customer subnet).
        public var ipv6Prefix: Int
        /// Networks that are never blocked, in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`) or as bare addresses,
        /// as written. Checked at load time by the rules of `IPNetwork(_:)`, which converts them.
        public var allowlist: [String]
        /// Count and log, but write nothing to the blocklist.
        public var dryRun: Bool
        /// Prefix of every counter key; non-empty, without spaces or control characters.
        public var keyPrefix: String
        /// Several named rules at once; empty: the one rule of ``mode``, ``threshold``, ``window`` and ``dryRun``,
        /// named `default`. Setting both is an error.
        public var rules: [Rule]
        /// The share of a rule's threshold from which a unit counts as near the limit (metrics), above 0, at most 1.
        public var nearLimit: Double
        /// How fixed-window counters are laid out in Redis (`detection.counters`).
        public var counters: CounterLayoutName
        /// Hashes per window with `counters: buckets` (`detection.buckets`), 1 to
        /// ``Detection/CounterLayout/maximumBucketCount``; ignored with `keys`.
        public var buckets: Int

        /// Creates the section; every parameter defaults to the documented default.
        public init(
            mode: DetectionMode = .fixed, threshold: Int = 15, window: Int = 60, ipv4Prefix: Int = 32,
            ipv6Prefix: Int = 64, allowlist: [String] = ["127.0.0.0/8", "::1/128"], dryRun: Bool = false,
            keyPrefix: String = "ipwatcher:", rules: [Rule] = [], nearLimit: Double = 0.8,
            counters: CounterLayoutName = .keys, buckets: Int = CounterLayout.defaultBucketCount
        ) {
            self.rules = rules
            self.nearLimit = nearLimit
            self.counters = counters
            self.buckets = buckets
            self.mode = mode
            self.threshold = threshold
            self.window = window
            self.ipv4Prefix = ipv4Prefix
            self.ipv6Prefix = ipv6Prefix
            self.allowlist = allowlist
            self.dryRun = dryRun
            self.keyPrefix = keyPrefix
        }
    }

    /// The keys of the single rule, which `detection.rules` replaces.
    static let singleRuleKeys = ["detection.mode", "detection.threshold", "detection.window", "detection.dry_run"]

    /// How requests are counted against the threshold.
    ///
    /// Mirrors `DetectionRule.Mode` of the Detection module by raw value, so the configuration layer does not
    /// depend on it; convert with `DetectionRule.Mode(rawValue: mode.rawValue)`.
    public enum DetectionMode: String, Sendable, Hashable, CaseIterable {
        /// One counter per window of `window` seconds, starting again from zero when it ends.
        case fixed
        /// Counts the requests of the last `window` seconds at every moment (a sliding window).
        case rolling
        /// Fixed counters read as an estimate of the rolling count: the previous window's count weighted by its
        /// overlap with the last `window` seconds, plus the current one.
        case sliding
    }

    /// How fixed-window counters are laid out: mirrors `CounterLayout` of the Detection module by name.
    public enum CounterLayoutName: String, Sendable, Hashable, CaseIterable {
        /// A key per unit and window, readable with `GET`.
        case keys
        /// Fields of `detection.buckets` small hashes per window: about a sixth of the memory.
        case buckets
    }
}
