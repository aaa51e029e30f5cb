/// Polls the health of a group of processes until it holds, for the cluster's and the Sentinel group's waits.
enum HealthPolling {
    /// Calls `problem` every `interval` until it returns nil, then returns nil; or, once `timeout` has passed or the
    /// task is cancelled, returns the explanation for an error.
    ///
    /// The explanation says why the wait ended, then the last unmet condition, then `view()` (what the group looks
    /// like, read only now, on failure) and `context`, each on lines of their own when present.
    static func failure(
        timeout: Duration,
        interval: Duration,
        problem: () -> String?,
        view: () -> String?,
        context: String?
    ) async -> String? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            guard let problem = problem() else { return nil }
            var reason: String?
            if clock.now >= deadline {
                reason = "not healthy within \(timeout)"
            } else {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    reason = "the wait was cancelled"
                }
            }
            if let reason {
                var message = "\(reason); last unmet condition: \(problem)"
                if let view = view() {
                    message += "\n\(view)"
                }
                if let context {
                    message += "\n\(context)"
                }
                return message
            }
        }
    }
}
