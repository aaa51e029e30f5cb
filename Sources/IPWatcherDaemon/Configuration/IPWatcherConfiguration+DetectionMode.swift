extension IPWatcherConfiguration {
    /// How requests are counted against the threshold.
    ///
    /// Mirrors `DetectionRule.Mode` of the Detection module by raw value, so the configuration layer does not
    /// depend on it; convert with `DetectionRule.Mode(rawValue: mode.rawValue)`.
    public enum DetectionMode: String, Sendable, Hashable, CaseIterable {
        /// One counter per window of `window` seconds, starting again from zero when it ends.
        case fixed
        /// Counts the requests of the last `window` seconds at every moment (a sliding window).
        case rolling
    }
}
