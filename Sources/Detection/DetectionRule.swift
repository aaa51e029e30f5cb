/// One named limit: how many requests in which window make a unit a bot, and what happens then.
///
/// A worker may enforce several rules at once (a burst limit, the minute limit, an hourly one); each has its
/// own counter, named by its mode and window, so rules with different windows never share one and rules with
/// the same mode and window share it. The unit prefixes and the allowlist say what a unit is: they are the
/// detection section's, the same in every rule of a worker.
///
/// A plain value: the worker reads one copy per batch, so a reload never changes the rule halfway
/// through a batch. Out-of-range prefixes are clamped where they are used (see ``DetectionUnit``).
public struct DetectionRule: Hashable, Sendable {
    /// How a unit's requests are counted.
    public enum Mode: String, Sendable, CaseIterable {
        /// One counter per unit per epoch-numbered window: cheap, but a burst straddling two windows is
        /// split between them.
        case fixed
        /// Every event time kept per unit over the last window: exact, but costs memory per event.
        case rolling
        /// Fixed-window counters read as Cloudflare's estimate of a rolling count: the previous window's count
        /// weighted by the share of it the last window length still covers, plus the current one
        /// (``SlidingWindowEstimate``). Costs what fixed costs plus one read per unit; catches most bursts that
        /// straddle a boundary, at the price of assuming the previous window's requests were spread evenly.
        case sliding
    }

    /// The rule's name: in block events (`"rule":"burst"`), logs and metric labels.
    public var name: String = DetectionRule.defaultName
    /// How requests are counted.
    public var mode: Mode = .fixed
    /// Requests per window at which a unit is blocked.
    public var threshold: Int = 15
    /// The window length in seconds.
    public var windowSeconds: Int = 60
    /// Leading bits of an IPv4 address that form its unit; 32 counts single addresses.
    public var ipv4Prefix: Int = 32
    /// Leading bits of an IPv6 address that form its unit; 64 is the usual end-site subnet.
    public var ipv6Prefix: Int = 64
    /// Networks that are never counted or blocked.
    public var allowlist: [IPNetwork] = DetectionRule.defaultAllowlist
    /// Shadow mode: a unit crossing this rule is announced with `"dry_run":true`, and nothing is written.
    public var dryRun: Bool = false
    /// How long this rule's bans last, in seconds (0: for good); nil takes the blocklist's `ban_seconds`.
    public var banSeconds: Int?

    /// The name of the one rule the single-rule keys (`detection.threshold`, `window`, …) describe.
    public static let defaultName = "default"

    /// The longest window a rule may have: seven days.
    public static let maximumWindowSeconds = 7 * 86400

    /// The highest threshold configuration accepts: far above any real traffic per window, and low enough that
    /// ``rollingCap`` and every count compared with it stay exact in Lua numbers (doubles).
    public static let maximumThreshold = 1_000_000_000

    /// Loopback (`127.0.0.0/8` and `::1/128`), so health checks and local tools can never block themselves.
    public static let defaultAllowlist: [IPNetwork] = [
        IPNetwork(address: .v4(0x7F00_0000), prefixLength: 8),
        IPNetwork(address: .v6(high: 0, low: 1), prefixLength: 128),
    ]

    /// Creates a rule; every parameter defaults to the product's default.
    public init(
        name: String = DetectionRule.defaultName,
        mode: Mode = .fixed,
        threshold: Int = 15,
        windowSeconds: Int = 60,
        ipv4Prefix: Int = 32,
        ipv6Prefix: Int = 64,
        allowlist: [IPNetwork] = DetectionRule.defaultAllowlist,
        dryRun: Bool = false,
        banSeconds: Int? = nil
    ) {
        self.name = name
        self.dryRun = dryRun
        self.banSeconds = banSeconds
        self.mode = mode
        self.threshold = threshold
        self.windowSeconds = windowSeconds
        self.ipv4Prefix = ipv4Prefix
        self.ipv6Prefix = ipv6Prefix
        self.allowlist = allowlist
    }

    /// The windows ``windowSeconds`` describes.
    public var fixedWindow: FixedWindow { FixedWindow(lengthSeconds: windowSeconds) }

    /// The window length in milliseconds, as ``FixedWindow`` computes it (at least one second).
    public var windowMilliseconds: Int64 { fixedWindow.lengthMilliseconds }

    /// Members a rolling window keeps per unit: one more than the threshold, enough to tell that the unit is over it.
    ///
    /// Saturates at `Int.max`, so a rule built in code with `threshold: .max` cannot trap here.
    public var rollingCap: Int {
        let (cap, overflow) = max(threshold, 0).addingReportingOverflow(1)
        return overflow ? .max : cap
    }

    /// Whether any allowlisted network contains `address`; an IPv4-mapped address is checked as IPv4.
    public func isAllowlisted(_ address: IPAddress) -> Bool {
        let address = address.unmappedIPv4
        for network in allowlist where network.contains(address) { return true }
        return false
    }

    /// The unit `address` is counted under, with this rule's prefixes.
    public func unit(for address: IPAddress) -> DetectionUnit {
        DetectionUnit(address: address, ipv4Prefix: ipv4Prefix, ipv6Prefix: ipv6Prefix)
    }

    /// Whether a count going from `before` to `after` reaches the threshold for the first time.
    ///
    /// Only the update that crosses blocks, so with several workers adding to one counter exactly one of
    /// them reports the block, and later requests in the same window do not block again.
    public func crossed(before: Int, after: Int) -> Bool {
        before < threshold && after >= threshold
    }

    /// Whether `count` is near the limit: at least `ratio` of the threshold (rounded up, at least 1) but
    /// below it. `ratio` is a fraction, 0.8 for 80 %.
    public func isNearLimit(_ count: Int, ratio: Double) -> Bool {
        count < threshold && count >= nearLimitCount(ratio: ratio)
    }

    /// The lowest count ``isNearLimit(_:ratio:)`` calls near the limit.
    public func nearLimitCount(ratio: Double) -> Int {
        let scaled = (Double(threshold) * ratio).rounded(.up)
        guard scaled.isFinite, scaled < Double(Int.max) else { return .max }
        return max(1, Int(scaled))
    }

    /// One line for logs and status: `minute: 15 per 60 s, fixed`, with `, dry run` and `, ban 600 s` when set.
    public var summary: String {
        var text = "\(name): \(threshold) per \(windowSeconds) s, \(mode.rawValue)"
        if let banSeconds { text += ", ban \(banSeconds) s" }
        if dryRun { text += ", dry run" }
        return text
    }

    /// The counter this rule reads: rules with the same mode and window share one.
    ///
    /// A sliding rule reads the fixed counters of its window (and of the window before), so it shares them with
    /// a fixed rule of the same window instead of counting every request twice.
    public var counter: RuleCounter {
        RuleCounter(mode: mode == .sliding ? .fixed : mode, windowSeconds: windowSeconds)
    }

    /// Whether `name` can name a rule: 1 to 64 letters, digits, `_` or `-`, so it is safe in a key, a metric
    /// label and a log line as it is.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { byte in
                (ASCII.zero...ASCII.nine).contains(byte) || (ASCII.upperA...ASCII.upperZ).contains(byte)
                    || (ASCII.lowerA...ASCII.lowerZ).contains(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }
}
