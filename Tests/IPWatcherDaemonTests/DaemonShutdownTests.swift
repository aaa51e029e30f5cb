import Foundation
import IPWatcherTestSupport
import LocalRedis
import SystemdNotify
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ipwatcher run` stops on SIGTERM: `STOPPING=1` at once, exit status 0 within 2 s.
@Suite("ipwatcher run: shutdown on SIGTERM", .needsRedisServer, .timeLimit(.minutes(10)), .measuresTime)
struct DaemonShutdownTests {
    /// The shipped defaults (among them a blocking pop of 1 s), with the daemon's log on stderr.
    static let configuration = """
        log:
          level: info
        """

    /// When SIGTERM is sent. The contract holds at any moment; these two are moments a test can find exactly.
    enum Moment: String, CaseIterable, CustomTestStringConvertible {
        /// As soon as `READY=1` arrives.
        case rightAfterReady
        /// As soon as the first periodic `STATUS=processed …` update arrives (about 2 s after start), the moment
        /// the worker has just begun waiting for its next status update.
        case rightAfterPeriodicStatus
        /// 1.6 s after a periodic `STATUS` update and 0.1 s after an entry was pushed, so the worker is 0.1 s into
        /// a fresh 1-s blocking pop and its next status update falls due 0.4 s later, while that pop drains.
        case midPopWithStatusUpdateDue

        var testDescription: String { rawValue }
    }

    @Test("SIGTERM sends STOPPING=1 and ends the process with status 0 within 2 s", arguments: Moment.allCases)
    func sigtermStopsWithinTwoSeconds(at moment: Moment) async throws {
        try await withReadyDaemon(configuration: Self.configuration) { server, daemon, notify in
            if moment != .rightAfterReady {
                try await notify.waitFor("a periodic STATUS update", within: .seconds(5)) {
                    $0.hasPrefix("STATUS=processed")
                }
            }
            if moment == .midPopWithStatusUpdateDue {
                try await Task.sleep(for: .milliseconds(1500))
                // The pop in progress returns with this entry and the next one starts at once.
                try await withConnection(server.url) { redis in try await redis.push(["192.0.2.200"]) }
                try await Task.sleep(for: .milliseconds(100))
            }

            let clock = ContinuousClock()
            let signalled = clock.now
            daemon.deliver(SIGTERM)
            try await notify.waitFor("STOPPING=1", within: .seconds(2))
            let outcome = try await daemon.waitForExit(within: .seconds(10))
            let ended = try #require(outcome, "still running 10 s after SIGTERM")
            #expect(ended.status == 0, "\(ended)")
            let took = signalled.duration(to: try #require(daemon.exitedAt))
            #expect(took <= .seconds(2), "exited \(took) after SIGTERM")
        }
    }

    @Test("SIGTERM while Redis is down still ends the process with status 0 within 2 s, not after the command timeout")
    func sigtermWhileRedisIsDownStopsWithinTwoSeconds() async throws {
        // The default command timeout (5 s) is what a wait for a connection would last.
        try await withReadyDaemon(configuration: Self.configuration) { server, daemon, notify in
            try await withConnection(server.url) { redis in try await redis.push(["192.0.2.201"]) }
            await server.kill()
            try await notify.waitFor("STATUS= about Redis being away", within: .seconds(5)) {
                $0.contains("waiting for Redis")
            }
            let clock = ContinuousClock()
            let signalled = clock.now
            try await daemon.stopExpectingSuccess(within: .seconds(10))
            let took = signalled.duration(to: try #require(daemon.exitedAt))
            #expect(took <= .seconds(2), "exited \(took) after SIGTERM")
        }
    }
}
