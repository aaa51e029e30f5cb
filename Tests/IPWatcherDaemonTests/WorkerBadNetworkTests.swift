import Foundation
import IPWatcherDaemon
import IPWatcherTestSupport
import RedisClient
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The worker behind a bad network (a ``FaultProxy`` between it and Redis) or a Redis that stops answering: it
/// loses no entry, counts none twice, announces each block once, stays alive, says so on `/healthz`, and recovers
/// by itself.
@Suite("Worker: a bad network", .needsRedisServer, .timeLimit(.minutes(10)))
struct WorkerBadNetworkTests {
    /// Batches of 10, so the 150 entries take many round trips; a one-hour window, so no run straddles a window;
    /// metrics on a free port for `/healthz`.
    static var settings: WorkerSettings {
        var settings = WorkerSettings.forTests
        settings.batchSize = 10
        settings.detection.singleRule.windowSeconds = 3600
        settings.metricsListen = .anyLoopbackPort
        return settings
    }

    /// Runs `body` with a worker behind a fault proxy (no toxics yet), its healthy `/healthz` port, and a
    /// subscriber to the events channel that listened before any traffic.
    static func withWorkerBehindProxy(
        _ body: @escaping @Sendable (WorkerRun, FaultProxy, Int, ChannelSubscriber) async throws -> Void
    ) async throws {
        try await withWorker(settings, throughFaultProxy: true, deadline: .seconds(120)) { run in
            let proxy = try #require(run.proxy)
            let port = try await run.healthyMetricsPort()
            let subscriber = try await ChannelSubscriber(port: try #require(run.server.port), channel: "ipwatcher:events")
            try await body(run, proxy, port, subscriber)
        }
    }

    @Test("latency 50 ms ± 10 ms each way: every entry counted once, each bot announced once, healthy throughout")
    func latency() async throws {
        try await Self.withWorkerBehindProxy { run, proxy, port, subscriber in
            proxy.latency(mean: .milliseconds(50), jitter: .milliseconds(10))
            let clock = ContinuousClock()
            let start = clock.now
            try await run.redis.push(FaultTraffic.entries())
            try await run.waitUntilHandled(FaultTraffic.count, within: .seconds(60))
            let elapsed = clock.now - start
            #expect(try await HTTPTestClient.send("/healthz", port: port).status == 200)
            try await run.expectEveryEntryCountedOnceAndEachBotBlockedOnce(events: subscriber)
            let counters = proxy.counters
            #expect(counters.connectionsOpen == counters.connectionsAccepted, "latency alone cost a connection: \(counters)")
            print("bad network: latency 50±10 ms, batch 10: \(FaultTraffic.count) entries handled in \(elapsed)")
        }
    }

    @Test("a bandwidth cap of 5 kB/s each way: every entry counted once, each bot announced once, healthy after")
    func bandwidthCap() async throws {
        try await Self.withWorkerBehindProxy { run, proxy, port, subscriber in
            proxy.bandwidth(bytesPerSecond: 5_000)
            let clock = ContinuousClock()
            let start = clock.now
            try await run.redis.push(FaultTraffic.entries())
            try await run.waitUntilHandled(FaultTraffic.count, within: .seconds(60))
            let elapsed = clock.now - start
            try await waitUntilHealth(200, port: port, within: .seconds(10))
            try await run.expectEveryEntryCountedOnceAndEachBotBlockedOnce(events: subscriber)
            let counters = proxy.counters
            #expect(counters.connectionsOpen == counters.connectionsAccepted, "the cap cost a connection: \(counters)")
            print("bad network: bandwidth 5 kB/s, batch 10: \(FaultTraffic.count) entries handled in \(elapsed)")
        }
    }

    @Test("a 10 s partition: nothing is counted meanwhile, /healthz says 503, then every entry is counted once")
    func partition() async throws {
        try await Self.withWorkerBehindProxy { run, proxy, port, subscriber in
            let entries = FaultTraffic.entries()
            try await run.redis.push(Array(entries[..<75]))
            try await run.waitUntilHandled(75)

            let clock = ContinuousClock()
            proxy.partition()
            let partitionedAt = clock.now
            try await run.redis.push(Array(entries[75...]))
            try await waitUntilHealth(503, port: port, within: .seconds(10))
            let unhealthyAfter = clock.now - partitionedAt
            try await Task.sleep(until: partitionedAt.advanced(by: .seconds(10)))
            #expect(run.totals.handled == 75, "entries were counted through the partition: \(run.totals)")
            proxy.heal()
            let healedAt = clock.now

            try await run.waitUntilHandled(FaultTraffic.count, within: .seconds(60))
            let countedAfter = clock.now - healedAt
            try await waitUntilHealth(200, port: port, within: .seconds(30))
            let healthyAfter = clock.now - healedAt
            try await run.expectEveryEntryCountedOnceAndEachBotBlockedOnce(events: subscriber)
            print("bad network: partition 10 s: /healthz 503 after \(unhealthyAfter); after healing, all counted in "
                + "\(countedAfter), /healthz 200 in \(healthyAfter); \(proxy.counters.connectionsAccepted) connections")
        }
    }

    @Test("replies reset (RST) or cut (FIN) mid-stream: the worker reconnects and every entry is counted once",
        arguments: [FaultKind.reset, .cut])
    func brokenReplies(kind: FaultKind) async throws {
        try await Self.withWorkerBehindProxy { run, proxy, port, subscriber in
            switch kind {
            case .reset: proxy.resetMidReply(afterBytes: 300)
            case .cut: proxy.cutReply(afterBytes: 300)
            }
            try await run.redis.push(FaultTraffic.entries())
            try await waitUntil("three connections were broken", within: .seconds(30)) {
                let counters = proxy.counters
                return counters.resets + counters.cuts >= 3
            }
            proxy.clear()
            let clock = ContinuousClock()
            let clearedAt = clock.now
            try await run.waitUntilHandled(FaultTraffic.count, within: .seconds(60))
            let countedAfter = clock.now - clearedAt
            try await waitUntilHealth(200, port: port, within: .seconds(30))
            try await run.expectEveryEntryCountedOnceAndEachBotBlockedOnce(events: subscriber)
            let counters = proxy.counters
            print("bad network: \(kind) after 300 bytes: \(counters.resets + counters.cuts) connections broken, "
                + "\(counters.connectionsAccepted) accepted; all counted \(countedAfter) after the fault ended")
        }
    }

    @Test("a redis-server stopped with SIGSTOP: /healthz says 503, and after SIGCONT every entry is counted once")
    func stoppedServer() async throws {
        try await Self.withWorkerBehindProxy { run, proxy, port, subscriber in
            // 20 ms each way keeps the worker busy for a while, so the stop comes in the middle of the stream.
            proxy.latency(mean: .milliseconds(20))
            try await run.redis.push(FaultTraffic.entries())
            try await run.waitUntilHandled(30, within: .seconds(30))

            let pid = run.server.pid
            try #require(pid > 0)
            let clock = ContinuousClock()
            #expect(kill(pid, SIGSTOP) == 0)
            let stoppedAt = clock.now
            let unhealthyAfter: Duration
            do {
                try await waitUntilHealth(503, port: port, within: .seconds(15))
                unhealthyAfter = clock.now - stoppedAt
                #expect(kill(pid, SIGCONT) == 0)
            } catch {
                kill(pid, SIGCONT)
                throw error
            }
            let continuedAt = clock.now
            try await run.waitUntilHandled(FaultTraffic.count, within: .seconds(60))
            let countedAfter = clock.now - continuedAt
            try await waitUntilHealth(200, port: port, within: .seconds(30))
            try await run.expectEveryEntryCountedOnceAndEachBotBlockedOnce(events: subscriber)
            print("bad network: SIGSTOP: /healthz 503 after \(unhealthyAfter); after SIGCONT all counted in \(countedAfter)")
        }
    }
}

/// The two ways a ``FaultProxy`` breaks a reply.
enum FaultKind: String, Sendable, CustomTestStringConvertible {
    case reset, cut
    var testDescription: String { rawValue == "reset" ? "reset (RST)" : "cut (FIN)" }
}
