import RedisClient
import Testing

/// The reconnect log policy, driven by hand-made instants: the first failure, each change of cause, the return,
/// and while nothing changes a summary at most every 30 s — never a line per attempt.
@Suite("ConnectionFailureReporter: which failed connects are logged")
struct ConnectionFailureReporterTests {
    let start = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant {
        start + .milliseconds(Int64(seconds * 1000))
    }

    @Test("the first failure is reported, the same cause again is not")
    func firstFailureOnly() {
        var reporter = ConnectionFailureReporter()
        #expect(reporter.failed("connection refused", at: at(0)) == .firstFailure(cause: "connection refused"))
        for step in 1...100 {
            #expect(reporter.failed("connection refused", at: at(Double(step) * 0.25)) == nil, "attempt \(step + 1)")
        }
        #expect(reporter.isDown)
    }

    @Test("an unchanged outage is summarised every 30 s with the attempts so far and the time down")
    func summaryEveryThirtySeconds() {
        var reporter = ConnectionFailureReporter()
        var reports: [ConnectionFailureReporter.Report] = []
        // An attempt every half second for 95 s: 191 attempts.
        for step in 0...190 {
            if let report = reporter.failed("connection refused", at: at(Double(step) * 0.5)) { reports.append(report) }
        }
        #expect(
            reports == [
                .firstFailure(cause: "connection refused"),
                .stillDown(cause: "connection refused", attempts: 61, downFor: .seconds(30)),
                .stillDown(cause: "connection refused", attempts: 121, downFor: .seconds(60)),
                .stillDown(cause: "connection refused", attempts: 181, downFor: .seconds(90)),
            ])
    }

    @Test("a new cause is reported at once, with the previous one, and restarts the summary interval")
    func causeChange() {
        var reporter = ConnectionFailureReporter()
        _ = reporter.failed("connection refused", at: at(0))
        _ = reporter.failed("connection refused", at: at(1))
        #expect(
            reporter.failed("timed out", at: at(2))
                == .causeChanged(cause: "timed out", previous: "connection refused", attempts: 3, downFor: .seconds(2)))
        #expect(reporter.failed("timed out", at: at(31)) == nil)
        #expect(
            reporter.failed("timed out", at: at(32))
                == .stillDown(cause: "timed out", attempts: 5, downFor: .seconds(32)))
    }

    @Test("coming back is reported with the failed attempts and the time down; a first connect is not")
    func reconnected() {
        var reporter = ConnectionFailureReporter()
        #expect(reporter.connected(at: at(0)) == nil)
        _ = reporter.failed("connection refused", at: at(10))
        _ = reporter.failed("connection refused", at: at(11))
        _ = reporter.failed("connection refused", at: at(14.5))
        #expect(reporter.connected(at: at(15)) == .reconnected(attempts: 3, downFor: .seconds(5)))
        #expect(!reporter.isDown)
        // A new outage starts over: its first failure is reported again.
        #expect(reporter.failed("connection refused", at: at(20)) == .firstFailure(cause: "connection refused"))
        #expect(reporter.connected(at: at(21)) == .reconnected(attempts: 1, downFor: .seconds(1)))
    }
}
