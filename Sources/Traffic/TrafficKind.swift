/// What a unit of generated traffic is meant to look like; the report groups units by it.
///
/// The kind is the generator's intent. Whether a unit is *expected* to be blocked is decided separately, by
/// counting its requests per window under the rule (see ``UnitTruth/expectedBlocked``): a straddling burst
/// is a bot to a rolling window and not to fixed windows, and a shared (NAT) address over the threshold is
/// a bot by the rule even though the people behind it are not.
public enum TrafficKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// A visitor: a few requests, always below the threshold in every window.
    case user
    /// A scraper on one address, bursting to two to four times the threshold.
    case bot
    /// A burst split across a fixed-window boundary: below the threshold in each fixed window, above it in a
    /// rolling one. Needs event times.
    case straddle
    /// An IPv6 bot that takes a new address inside its /64 for every request; the unit is the /64.
    case rotate
    /// One IPv4 address shared by many slow users (carrier-grade NAT, an office proxy); over the threshold
    /// in total, so blocked by the rule.
    case nat
    /// The single address of `feed --ip ADDR --count N`.
    case single

    /// A short plural label for reports.
    public var label: String {
        switch self {
        case .user: "users"
        case .bot: "bots"
        case .straddle: "straddling bursts"
        case .rotate: "rotating IPv6 bots"
        case .nat: "shared addresses (NAT)"
        case .single: "single address"
        }
    }
}
