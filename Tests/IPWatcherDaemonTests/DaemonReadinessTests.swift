import Foundation
import IPWatcherTestSupport
import LocalRedis
import RedisClient
import SystemdNotify
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ipwatcher run` under a stand-in systemd notify socket: `READY=1` only once Redis answered.
@Suite("ipwatcher run: readiness (sd_notify)", .needsRedisServer, .timeLimit(.minutes(10)))
struct DaemonReadinessTests {
    @Test("READY=1 arrives once Redis answered on the worker's connection")
    func readyAfterRedisAnswered() async throws {
        try await withReadyDaemon(configuration: quickPopConfiguration) { server, daemon, notify in
            // Ready means the popping connection is up and answered; it is named after redis.client_name.
            try await withConnection(server.url) { redis async throws in
                #expect(try await redis.clientIDs(named: "ipwatcher-pop").count == 1)
            }
            try await daemon.stopExpectingSuccess()
        }
    }

    @Test("no READY=1 while Redis is down; READY=1 as soon as it comes up")
    func notReadyUntilRedisIsUp() async throws {
        try await withRedisServer { server in
            // Same port and socket, no server behind them until restart().
            await server.kill()
            try await withScratchDirectory { scratch in
                try await withNotifyingDaemon(
                    configuration: quickPopConfiguration, redisURL: server.url, in: scratch
                ) { daemon, notify in
                    let whileDown = try await notify.collect(for: .milliseconds(1500))
                    #expect(daemon.isRunning, "the worker must keep waiting for Redis, not exit")
                    #expect(
                        !whileDown.contains { NotifySocketListener.message($0, has: "READY=1") },
                        "READY=1 before Redis answered: \(whileDown)")
                    #expect(whileDown.contains { $0.hasPrefix("STATUS=") }, "no STATUS while waiting: \(whileDown)")

                    try await server.restart()
                    try await notify.waitFor("READY=1", within: .seconds(10))
                    try await daemon.stopExpectingSuccess()
                }
            }
        }
    }

    @Test(
        "with WatchdogSec=0.4s and the default 1 s blocking pop, an idle worker still pings the watchdog every 200 ms",
        .measuresTime)
    func idleWorkerPingsWithinTheWatchdogInterval() async throws {
        // The default queue.block_timeout (1 s), unlike the other tests here.
        try await withReadyDaemon(
            configuration: "log:\n  level: info\n", extraEnvironment: ["WATCHDOG_USEC": "400000"]
        ) { server, daemon, notify in
            let idle = try await notify.collect(for: .seconds(3))
            let pings = idle.filter { NotifySocketListener.message($0, has: "WATCHDOG=1") }.count
            // A ping every 200 ms is 15 in 3 s; one per 1 s pop, as before, would be 3.
            #expect(pings >= 9, "\(pings) WATCHDOG=1 in 3 s of idling")
            try await daemon.stopExpectingSuccess()
        }
    }
}
