/// When a ban ends: the arithmetic the worker and `ipwatcher blocklist add` share.
public enum BanExpiry {
    /// The longest ban, in seconds: ten years of 365 days.
    ///
    /// Configuration and the command line refuse more. At this bound the expiry, in Unix milliseconds, stays
    /// below 2^53 (until about the year 285 000), so Redis scores and Lua numbers (doubles) hold it exactly.
    public static let maximumSeconds = 315_360_000

    /// The Unix millisecond at which a ban of `banSeconds` starting at `now` ends; nil when `banSeconds` is 0 or
    /// less, a ban for good.
    ///
    /// Saturates instead of trapping, so a value beyond ``maximumSeconds`` from code that skipped the check gives a
    /// ban that never ends in practice, never a crash.
    public static func expiresAt(now: Int64, banSeconds: Int) -> Int64? {
        guard banSeconds > 0 else { return nil }
        return now.saturatingAdd(Int64(banSeconds).saturatingMultiply(1000))
    }
}
