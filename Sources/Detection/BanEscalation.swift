/// How bans grow for repeat offenders: the n-th ban of a unit within ``memorySeconds`` lasts
/// `ban_seconds × factor^(n−1)`, capped at ``maxSeconds``, then spread by up to ± ``jitter`` of itself.
///
/// The offence count lives in Redis (one key per unit, expiring ``memorySeconds`` after the unit's latest ban
/// ends), so every worker agrees on it; the ban script computes the length in the same atomic step that adds the
/// ban. The spread keeps a botnet from timing its return to the millisecond (fail2ban's `rndtime`); each ban
/// draws its own. A permanent ban (`ban_seconds: 0`) stays permanent.
public struct BanEscalation: Hashable, Sendable {
    /// What each further ban multiplies the length by; 1 turns escalation off (and no offence is counted).
    public var factor: Double = 1
    /// The longest an escalated ban may last before the spread, in seconds.
    public var maxSeconds: Int = 604_800
    /// How long after its latest ban ends a unit's offences are remembered, in seconds.
    public var memorySeconds: Int = 86_400
    /// The spread, a fraction of the ban's length, 0 to 0.5: 0.1 makes a 600 s ban last 540 to 660 s.
    public var jitter: Double = 0

    /// The largest factor configuration accepts: beyond it the second ban already hits any sensible cap.
    public static let maximumFactor: Double = 100
    /// The largest spread configuration accepts.
    public static let maximumJitter: Double = 0.5

    /// Creates the settings; the defaults leave escalation off.
    public init(factor: Double = 1, maxSeconds: Int = 604_800, memorySeconds: Int = 86_400, jitter: Double = 0) {
        self.factor = factor
        self.maxSeconds = maxSeconds
        self.memorySeconds = memorySeconds
        self.jitter = jitter
    }

    /// Whether bans escalate (``factor`` above 1); with it off no offence is counted.
    public var isOn: Bool { factor > 1 }

    /// How long the `offence`-th ban of a unit lasts before the spread, in milliseconds, when its rule bans for
    /// `baseMilliseconds`: `base × factor^(offence−1)`, capped at ``maxSeconds`` but never below `base`.
    ///
    /// The ban script computes the same in Lua, in the atomic step that adds the ban; this is the Swift reading
    /// for tools that must know a ban's length ahead (the feed's ground truth), pinned to the script by a test.
    /// With escalation off, or at the first offence, it is `base`.
    public func lengthMilliseconds(baseMilliseconds base: Int64, offence: Int) -> Double {
        guard isOn, offence > 1 else { return Double(base) }
        var length = Double(base)
        for _ in 1..<offence {
            length *= factor
            if length > Double(maxSeconds) * 1000 { break }
        }
        return min(length, max(Double(base), Double(maxSeconds) * 1000))
    }

    /// A spread for one ban: a fraction in `-jitter...jitter` from `generator`, which the ban script multiplies
    /// the ban's length by `1 + spread`.
    public func spread(using generator: inout some RandomNumberGenerator) -> Double {
        guard jitter > 0 else { return 0 }
        return Double.random(in: -jitter...jitter, using: &generator)
    }
}
