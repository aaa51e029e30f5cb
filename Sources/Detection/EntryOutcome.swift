/// What ``BatchAggregator/add(_:now:)`` did with an entry.
public enum EntryOutcome: Hashable, Sendable, CaseIterable {
    /// Added to its unit's group.
    case counted
    /// Skipped: the address is in the rule's allowlist.
    case allowlisted
    /// Skipped: older than one window (see ``EventClock``).
    case stale
    /// Skipped: too far in the future (see ``EventClock``); report it as ``EntryRejection/future``.
    case future
}
