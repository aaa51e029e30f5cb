import Detection

/// A traffic shape to generate: which kinds of units, in what proportions.
///
/// Every scenario except ``single(_:)`` is an endless stream of units, cut to a count or duration by the
/// feeder. The names are the values of `ipwatcher feed --scenario`.
public enum TrafficScenario: Sendable, Hashable, CustomStringConvertible {
    /// Many addresses, each below the threshold in every window.
    case users
    /// Addresses bursting to two to four times the threshold.
    case bots
    /// Bursts split across a fixed-window boundary; implies event times.
    case straddle
    /// IPv6 bots rotating their address inside one /64 on every request.
    case rotate
    /// IPv4 addresses each shared by many slow users, over the threshold in total.
    case nat
    /// All of the above interleaved, mostly users (straddling bursts only with event times).
    case mixed
    /// Slow, steady crawlers: under every rule but the one with the longest window, over that one. Implies event
    /// times (the requests are spread back over most of that window, so a test need not wait an hour).
    case crawler
    /// Farms of bots, each farm several units of one range over the threshold, with fresh addresses of the same
    /// range under it that a range ban must refuse (`blocklist.ranges`).
    case subnet
    /// Bots that come back after their ban has ended, twice: escalation makes each ban longer. Implies event times;
    /// the feed must last longer than the bans.
    case `repeat`
    /// Users sent round after round in one order, about ten requests each over the feed
    /// (``FeedConfiguration/addressesPerRound``): a batch rarely holds an address twice, so the worker cannot
    /// fold requests into one counter update. The hard case for Redis.
    case interleaved
    /// Users of one or two requests each: nearly every request a new unit.
    case distinct
    /// One address, every request (the tutorial's scraper burst: `--ip ADDR --count N`).
    case single(IPAddress)

    /// The scenarios that `--scenario` accepts, in the order help texts list them.
    public static let named: [TrafficScenario] = [
        .users, .bots, .straddle, .rotate, .nat, .mixed, .crawler, .subnet, .repeat, .interleaved, .distinct,
    ]

    /// The scenario called `name` (as in ``description``), or nil.
    public init?(name: String) {
        guard let scenario = Self.named.first(where: { $0.description == name }) else { return nil }
        self = scenario
    }

    /// The scenario's name; `single` for ``single(_:)``.
    public var description: String {
        switch self {
        case .users: "users"
        case .bots: "bots"
        case .straddle: "straddle"
        case .rotate: "rotate"
        case .nat: "nat"
        case .mixed: "mixed"
        case .crawler: "crawler"
        case .subnet: "subnet"
        case .repeat: "repeat"
        case .interleaved: "interleaved"
        case .distinct: "distinct"
        case .single: "single"
        }
    }

    /// Whether the scenario only makes sense with event times: without them the worker counts a request when
    /// it pops it, so the generator could not put a burst on both sides of a window boundary, spread a crawler
    /// back over a long window, or tell when a repeat offender's ban has ended.
    public var requiresEventTimes: Bool {
        switch self {
        case .straddle, .crawler, .repeat: true
        default: false
        }
    }

    /// Whether this is ``single(_:)``, one address rather than a mix of units.
    public var isSingle: Bool {
        if case .single = self { return true }
        return false
    }

    /// The relative weights, per unit started, of the kinds this scenario mixes.
    var mix: ScenarioMix {
        switch self {
        case .users: ScenarioMix([(.user, 1)])
        case .bots: ScenarioMix([(.bot, 1)])
        case .straddle: ScenarioMix([(.straddle, 1)])
        case .rotate: ScenarioMix([(.rotate, 1)])
        case .nat: ScenarioMix([(.nat, 1)])
        // Per unit started; users make fewer requests each, so they end up about half the requests.
        case .mixed: ScenarioMix([(.user, 85), (.bot, 5), (.rotate, 3), (.nat, 3), (.straddle, 4)])
        case .crawler: ScenarioMix([(.crawler, 1)])
        case .subnet: ScenarioMix([(.farm, 1)])
        case .repeat: ScenarioMix([(.repeatOffender, 1)])
        case .interleaved, .distinct: ScenarioMix([(.user, 1)])
        case .single: ScenarioMix([(.single, 1)])
        }
    }
}
