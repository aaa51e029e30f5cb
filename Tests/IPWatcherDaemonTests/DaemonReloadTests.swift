import Foundation
import IPWatcherTestSupport
import LocalRedis
import RedisClient
import SystemdNotify
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ipwatcher run` reloads its file on SIGHUP: new detection settings, same Redis connections.
@Suite("ipwatcher run: reload on SIGHUP", .needsRedisServer, .timeLimit(.minutes(10)))
struct DaemonReloadTests {
    static func configuration(threshold: Int) -> String {
        """
        queue:
          block_timeout: 0.1
        detection:
          threshold: \(threshold)
        log:
          level: info
        """
    }

    /// The sum of the fixed-window counters of `unit`, whatever windows they fell in.
    static func fixedCount(of unit: String, on redis: RedisConnection) async throws -> Int64 {
        var sum: Int64 = 0
        for key in try await redis.allKeys(matching: "ipwatcher:fixed:*:\(unit)") {
            sum += try await redis.send("GET", key).int ?? 0
        }
        return sum
    }

    @Test("SIGHUP applies a new threshold from the file without reconnecting to Redis")
    func sighupReloadsThresholdKeepingConnections() async throws {
        try await withReadyDaemon(configuration: Self.configuration(threshold: 50)) { server, daemon, notify in
            try await withConnection(server.url) { redis in
                // Threshold 50: 20 hits of A are counted but do not block.
                try await redis.push(hits("198.51.100.1", 20))
                try await waitUntil("the 20 hits of A are counted") {
                    try await Self.fixedCount(of: "198.51.100.1", on: redis) == 20
                }
                #expect(try await !redis.isMember("198.51.100.1", of: "blocklist"))
                let writerBefore = try await redis.clientIDs(named: "ipwatcher")
                let popperBefore = try await redis.clientIDs(named: "ipwatcher-pop")
                let clients = try await redis.clientList()
                #expect(writerBefore.count == 1 && popperBefore.count == 1, "\(clients)")

                // Threshold 10 from the rewritten file, applied on SIGHUP.
                try daemon.scratch.write(Self.configuration(threshold: 10), to: "ipwatcher.yaml")
                daemon.deliver(SIGHUP)
                try await notify.waitFor("RELOADING=1", within: .seconds(5))
                try await notify.waitFor("READY=1", within: .seconds(5))
                #expect(daemon.isRunning)

                try await redis.push(hits("198.51.100.2", 20))
                try await waitUntil("B is blocked under the reloaded threshold", within: .seconds(5)) {
                    try await redis.isMember("198.51.100.2", of: "blocklist")
                }
                // The same connections: no reconnect happened for the reload.
                #expect(try await redis.clientIDs(named: "ipwatcher") == writerBefore)
                #expect(try await redis.clientIDs(named: "ipwatcher-pop") == popperBefore)
            }
            try await daemon.stopExpectingSuccess()
        }
    }

    @Test("SIGHUP adds a rule from the file: a burst the old rule let through is then blocked, with the rule's own ban")
    func sighupAddsARule() async throws {
        try await withReadyDaemon(configuration: Self.configuration(threshold: 50)) { server, daemon, notify in
            try await withConnection(server.url) { redis in
                try await redis.push(hits("198.51.100.4", 8))
                try await waitUntil("the 8 hits of A are counted") {
                    try await Self.fixedCount(of: "198.51.100.4", on: redis) == 8
                }
                #expect(try await !redis.isMember("198.51.100.4", of: "blocklist"))

                try daemon.scratch.write(
                    """
                    queue:
                      block_timeout: 0.1
                    detection:
                      rules:
                        - {name: minute, threshold: 50, window: 60}
                        - {name: burst, threshold: 5, window: 10, ban_seconds: 30}
                    log:
                      level: info
                    """, to: "ipwatcher.yaml")
                daemon.deliver(SIGHUP)
                try await notify.waitFor("RELOADING=1", within: .seconds(5))
                try await notify.waitFor("READY=1", within: .seconds(5))

                let before = nowMilliseconds()
                // One event time for all eight, so they fall in one 10 s window however they are batched.
                try await redis.push(hits("198.51.100.5 \(before)", 8))
                try await waitUntil("B is blocked by the burst rule", within: .seconds(5)) {
                    try await redis.isMember("198.51.100.5", of: "blocklist")
                }
                let expiresAt = Int64(try #require(try await redis.send("ZSCORE", "ipwatcher:bans", "198.51.100.5").double))
                #expect(expiresAt >= before + 30_000 && expiresAt <= nowMilliseconds() + 30_000, "ban until \(expiresAt)")
            }
            #expect(daemon.standardError.contains("burst: 5 per 10 s"), "the reload does not log the new rules")
            try await daemon.stopExpectingSuccess()
        }
    }

    @Test("SIGHUP with an invalid file keeps the worker running with the settings in force")
    func sighupWithInvalidFileKeepsOldSettings() async throws {
        try await withReadyDaemon(configuration: Self.configuration(threshold: 10)) { server, daemon, notify in
            try daemon.scratch.write("detection:\n  threshold: abc\n", to: "ipwatcher.yaml")
            daemon.deliver(SIGHUP)
            try await notify.waitFor("RELOADING=1", within: .seconds(5))
            try await notify.waitFor("READY=1", within: .seconds(5))
            #expect(daemon.isRunning, "a bad file on reload must not stop the worker")

            // Threshold 10 is still in force: 10 hits block.
            try await withConnection(server.url) { redis in
                try await redis.push(hits("198.51.100.3", 10))
                try await waitUntil("the unit is blocked under the old threshold", within: .seconds(5)) {
                    try await redis.isMember("198.51.100.3", of: "blocklist")
                }
            }
            #expect(daemon.standardError.contains("detection.threshold"), "the reload error is not reported")
            try await daemon.stopExpectingSuccess()
        }
    }
}
