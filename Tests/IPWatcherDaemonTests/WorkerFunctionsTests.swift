import Detection
import Foundation
@testable import IPWatcherDaemon
import RedisClient
import Testing
import IPWatcherTestSupport

/// `redis.scripts: functions`: every script the worker runs — the batch move and read-back, the counters, the
/// ban and its expiry, the lease scripts — goes by `FCALL` to ``IPWatcherFunctions/library``; none by `EVALSHA`.
@Suite("Worker: scripts as Redis Functions", .needsRedisServer, .timeLimit(.minutes(10)))
struct WorkerFunctionsTests {
    static let workerID = "functions-worker"

    static func settings(mode: DetectionRule.Mode) -> WorkerSettings {
        var settings = WorkerSettings.forTests(mode: mode)
        settings.scripts = .functions
        settings.workerID = workerID
        settings.lease = .seconds(30)
        settings.detection.singleRule.threshold = 10
        settings.detection.banSeconds = 1
        return settings
    }

    @Test(
        "recovery, counting, blocking, ban expiry and leases all run as functions, with no SCRIPT LOAD or EVALSHA",
        arguments: [DetectionRule.Mode.fixed, .rolling])
    func everyScriptRunsAsAFunction(mode: DetectionRule.Mode) async throws {
        let settings = Self.settings(mode: mode)
        let processingKey = settings.keys.processingKey(workerID: Self.workerID)
        try await withWorker(settings) { redis in
            let loaded = try await redis.send("FUNCTION", "LOAD", "REPLACE", IPWatcherFunctions.library.source)
            #expect(try loaded.throwingServerError().string == IPWatcherFunctions.library.libraryName)
            // An unfinished batch of an earlier run: the start reads it back with the read function.
            try await redis.storeBatch(["192.0.2.10", "192.0.2.11"], named: "earlier-run-1", in: processingKey)
            _ = try await redis.send("CONFIG", "RESETSTAT")
        } _: { run in
            try await run.waitForTotals("the earlier batch is recovered") { $0.recovered == 2 }
            _ = try await run.redis.send("LPUSH", "ips", Array(repeating: "203.0.113.50", count: 20))
            try await run.waitUntilHandled(22)
            try await waitUntil("the address is blocked") {
                try await run.redis.send("SISMEMBER", "blocklist", "203.0.113.50").int == 1
            }
            try await waitUntil("the one-second ban is lifted", within: .seconds(10)) {
                try await run.redis.send("SISMEMBER", "blocklist", "203.0.113.50").int == 0
            }
            let stats = try await run.redis.send("INFO", "commandstats").string ?? ""
            #expect(!stats.contains("cmdstat_evalsha:") && !stats.contains("cmdstat_script"), "\(stats)")
            let fcall = stats.split(whereSeparator: \.isNewline).first { $0.hasPrefix("cmdstat_fcall:") } ?? ""
            #expect(fcall.contains("rejected_calls=0,failed_calls=0"), "\(fcall)")
        }
    }

    @Test("at-most-once delivery pops through its function too, with no EVALSHA")
    func atMostOncePopRunsAsAFunction() async throws {
        var settings = Self.settings(mode: .fixed)
        settings.delivery = .atMostOnce
        try await withWorker(settings) { redis in
            _ = try await redis.send("FUNCTION", "LOAD", "REPLACE", IPWatcherFunctions.library.source)
            _ = try await redis.send("CONFIG", "RESETSTAT")
        } _: { run in
            _ = try await run.redis.send("LPUSH", "ips", Array(repeating: "203.0.113.51", count: 20))
            try await run.waitUntilHandled(20)
            let stats = try await run.redis.send("INFO", "commandstats").string ?? ""
            #expect(!stats.contains("cmdstat_evalsha:") && !stats.contains("cmdstat_script"), "\(stats)")
            #expect(stats.contains("cmdstat_fcall:"), "\(stats)")
        }
    }
}
