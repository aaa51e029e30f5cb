import Foundation
import IPWatcherTestSupport
import LocalRedis
import RedisClient
import SystemdNotify
import Testing

/// The real `ipwatcher run` and `ipwatcher blocklist` given a `redis+sentinel://` URL: both reach the master, and
/// after the master is killed the daemon goes on counting and blocking on the promoted replica, where the
/// blocklist commands find it too.
@Suite("ipwatcher run and blocklist: Redis Sentinel", .needsRedisSentinel, .loadsMachine, .timeLimit(.minutes(10)))
struct DaemonSentinelTests {
    static let configuration = """
        queue:
          block_timeout: 0.1
        detection:
          window: 3600
        log:
          level: info
        """

    @Test("a failover under ipwatcher run: it logs the move, blocks a bot on the new master, and blocklist commands follow")
    func daemonAndCommandsFollowTheFailover() async throws {
        try await withRedisSentinel(deadline: .seconds(150)) { group in
            try await withSentinelEvents(group) { events in
                try await withScratchDirectory { scratch in
                    let url = group.sentinelURL
                    let added = try await runIPWatcher(
                        ["blocklist", "add", "198.51.100.1", "--redis-url", url], in: scratch)
                    #expect(added.outcome.status == 0, "\(added.stderr)")
                    try await withNotifyingDaemon(configuration: Self.configuration, redisURL: url, in: scratch) {
                        daemon, notify in
                        try await notify.waitFor("READY=1", within: .seconds(10))
                        let oldMaster = try group.currentMaster()
                        let oldPort = try #require(oldMaster.port)
                        #expect(daemon.standardErrorLines.contains { $0.contains("connected to Redis") && $0.contains("redis://127.0.0.1:\(oldPort)") })
                        await oldMaster.kill()
                        let switched = try await events.waitForSwitch(from: oldPort, timeout: .seconds(30))
                        try await withConnection(switched.newMaster.url) { redis in
                            // The bot's 15 requests, the default threshold, pushed to the promoted replica.
                            try await redis.push(Array(repeating: "198.51.100.2", count: 15))
                            try await waitUntil("the daemon blocked the bot on the new master", within: .seconds(20)) {
                                try await redis.isMember("198.51.100.2", of: "blocklist")
                            }
                            #expect(try await redis.isMember("198.51.100.1", of: "blocklist"), "the replicated manual block is gone")
                        }
                        let checked = try await runIPWatcher(
                            ["blocklist", "check", "198.51.100.2", "--redis-url", url], in: scratch)
                        #expect(checked.outcome.status == 0, "\(checked.stderr)")
                        #expect(checked.stdout.contains("blocked: 198.51.100.2"), "\(checked.stdout)")
                        #expect(daemon.isRunning)
                        try await daemon.stopExpectingSuccess()
                    }
                }
            }
        }
    }
}
