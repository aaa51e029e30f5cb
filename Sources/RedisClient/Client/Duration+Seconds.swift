extension Duration {
    /// The duration in seconds, as a Double: for timeouts in error messages, rates and reports.
    ///
    /// Package access: every target of the package reads durations this way, and none exports it.
    package var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
