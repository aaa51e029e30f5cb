import Foundation
import IPWatcherTestSupport
import LocalRedis
import RedisClient
import SystemdNotify
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `ipwatcher run` binary while Redis is killed and restarted under it: it says so, resumes within
/// seconds of Redis answering again, and loses nothing (the traffic and checks of ``DaemonCrashRecoveryTests``).
///
/// A suite of its own because it asserts how soon the worker resumes: `.measuresTime` keeps loading tests away.
@Suite("ipwatcher run: Redis restarts", .needsRedisServer, .timeLimit(.minutes(10)), .measuresTime)
struct DaemonRedisRestartTests {
    @Test("Redis killed and restarted mid-stream: the worker says so in STATUS=, resumes, and loses nothing")
    func redisRestartLosesNothing() async throws {
        try await withRedisServer(.persistent, deadline: .seconds(120)) { server in
            try await withScratchDirectory { scratch in
                let config = try scratch.write(DaemonCrashRecoveryTests.configuration, to: "ipwatcher.yaml")
                let entries = DaemonCrashRecoveryTests.traffic()
                try await withConnection(server.url) { redis in try await DaemonCrashRecoveryTests.push(entries, to: redis) }
                try await withNotifyingDaemon(
                    ["run", "--config", config, "--redis-url", server.url], in: scratch
                ) { daemon, notify in
                    try await notify.waitFor("READY=1", within: .seconds(10))
                    try await withConnection(server.url) { redis in
                        let total = entries.count
                        try await waitUntil("the worker drains 3,000 entries", within: .seconds(30), every: .milliseconds(2)) {
                            try await DaemonCrashRecoveryTests.queueLength(redis) <= total - 3_000
                        }
                    }
                    await server.kill()
                    let whileDown = try await notify.collect(for: .milliseconds(2500))
                    #expect(daemon.isRunning, "the worker must wait for Redis, not exit")
                    #expect(
                        whileDown.contains { $0.contains("STATUS=") && $0.contains("waiting for Redis") },
                        "no STATUS= about Redis while it was down: \(whileDown)")
                    try await server.restart()
                    let restarted = ContinuousClock.now
                    try await withConnection(server.url) { redis in
                        let atRestart = try await DaemonCrashRecoveryTests.queueLength(redis)
                        #expect(atRestart > 0, "the queue drained before Redis went away; the test proved nothing")
                        try await waitUntil("the worker resumes", within: .seconds(10), every: .milliseconds(5)) {
                            try await DaemonCrashRecoveryTests.queueLength(redis) < atRestart
                        }
                        let resumedAfter = ContinuousClock.now - restarted
                        // A wall-clock bound, which is why this suite measures time: no loading test runs beside it.
                        #expect(resumedAfter < .seconds(3), "resumed \(resumedAfter) after Redis answered")
                        try await waitUntil("the queue and the processing hash are empty", within: .seconds(60)) {
                            let left = try await redis.allKeys(matching: "ipwatcher:processing*")
                            return try await DaemonCrashRecoveryTests.queueLength(redis) == 0 && left.isEmpty
                        }
                        let surplus = DaemonCrashRecoveryTests.expectNothingLost(try await redis.countsPerUnit())
                        print("Redis restart: worker resumed \(resumedAfter) after Redis answered; \(surplus) entries counted twice")
                    }
                    #expect(daemon.standardError.contains("retrying"), "the outage was not logged")
                    try await daemon.stopExpectingSuccess()
                }
            }
        }
    }
}
