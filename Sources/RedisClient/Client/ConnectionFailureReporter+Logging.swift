import Logging

extension ConnectionFailureReporter.Report {
    /// Logs the report as one line: failures as warnings starting with `failure` (`cannot connect to Redis`)
    /// and the cause, the return as a notice starting with `recovery` (`reconnected to Redis`).
    public func log(to logger: Logger, failure: String, recovery: String) {
        switch self {
        case .firstFailure(let cause):
            logger.warning("\(failure): \(cause); retrying")
        case .causeChanged(let cause, let previous, let attempts, let downFor):
            logger.warning(
                "\(failure): \(cause) (before: \(previous)); retrying",
                metadata: ["attempts": "\(attempts)", "down_for_s": "\(Self.seconds(downFor))"])
        case .stillDown(let cause, let attempts, let downFor):
            logger.warning(
                "still \(failure): \(cause); retrying",
                metadata: ["attempts": "\(attempts)", "down_for_s": "\(Self.seconds(downFor))"])
        case .reconnected(let attempts, let downFor):
            let plural = attempts == 1 ? "" : "s"
            logger.notice("\(recovery) after \(attempts) failed attempt\(plural), down for \(Self.seconds(downFor)) s")
        }
    }

    /// Whole seconds below 10 s get one decimal, so a short outage does not read as 0 s.
    private static func seconds(_ duration: Duration) -> String {
        let seconds = duration.seconds
        if seconds < 10 { return "\((seconds * 10).rounded() / 10)" }
        return "\(Int(seconds.rounded()))"
    }
}
