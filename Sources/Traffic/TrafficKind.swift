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
    /// A slow, steady crawler: under every rule with a shorter window, over the rule with the longest one (an
    /// hourly limit, say). Needs event times: its requests are spread back over most of that window.
    case crawler
    /// A bot of a subnet farm: one of several units of one range (an IPv4 /24, an IPv6 /48), each over the
    /// threshold, so the range is banned when range bans are on.
    case farm
    /// A fresh address of a farm's range, under the threshold: the range ban must refuse it, its own rule never.
    case fresh
    /// A bot that comes back after its ban has ended, and again after the next: the second and third bans are
    /// further offences (longer with escalation). Needs event times, and a feed longer than the bans.
    case repeatOffender = "repeat"

    /// A short plural label for reports.
    public var label: String {
        switch self {
        case .user: "users"
        case .bot: "bots"
        case .straddle: "straddling bursts"
        case .rotate: "rotating IPv6 bots"
        case .nat: "shared addresses (NAT)"
        case .single: "single address"
        case .crawler: "slow crawlers"
        case .farm: "subnet farm bots"
        case .fresh: "fresh farm addresses"
        case .repeatOffender: "repeat offenders"
        }
    }
}
