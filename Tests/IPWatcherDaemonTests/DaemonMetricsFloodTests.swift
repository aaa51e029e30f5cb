import Foundation
import IPWatcherDaemon
import IPWatcherTestSupport
import NIOCore
import NIOPosix
import Testing

/// The real `ipwatcher run` under a flood of connections to its metrics endpoint, at the product's limits:
/// `/healthz` keeps answering fast, memory and descriptors stay bounded, and the queue keeps draining.
@Suite("ipwatcher run: metrics endpoint under a connection flood", .needsRedisServer, .timeLimit(.minutes(10)), .loadsMachine)
struct DaemonMetricsFloodTests {
    /// Connections of each kind the flood opens.
    static let floodSize = 2_000
    /// What a half-sent connection sends: a request head that never ends, 4 KiB of it (under the 8 KiB cap).
    static let halfSentRequest =
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: \(String(repeating: "x", count: 4096))\r\n"

    @Test("2,000 idle and 2,000 half-sent connections leave /healthz answering (median under the second a dropped SYN costs), RSS within 10 MB, the queue draining")
    func floodOfIdleAndHalfSentConnections() async throws {
        // Both ends of every connection live in this process until the server closes its side.
        let limit = try DescriptorLimit.raiseSoftLimitToHard().after
        try #require(limit.soft > UInt64(2 * Self.floodSize + 500), "needs more descriptors than \(limit)")
        // A minute, not the fixture's 30 s: beside the other heavy tests the flood alone can take 20 s.
        try await withRedisServer(deadline: .seconds(60)) { server in
            try await withScratchDirectory { scratch in
                try await DaemonMetricsTests.withMetricsDaemon(server, in: scratch) { daemon, port in
                    // Idle, after the endpoint has served a few requests.
                    for _ in 0..<5 { _ = try await HTTPTestClient.send("/metrics", port: port) }
                    try await Task.sleep(for: .seconds(1))
                    let pid = daemon.pid
                    let idleRSS = try Self.residentKilobytes(of: pid)
                    let idleDescriptors = Self.openDescriptors(of: pid)

                    let flood = FloodRecord()
                    let floodLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
                    let held = try await withThrowingTaskGroup(of: [RawTestConnection].self) { group in
                        group.addTask { try await Self.openFlood(port: port, on: floodLoop) }
                        // Probe while the flood is opened and after, until it is done and a second more.
                        group.addTask {
                            var floodDoneAt: ContinuousClock.Instant?
                            while floodDoneAt.map({ ContinuousClock.now - $0 < .seconds(1) }) ?? true {
                                let start = ContinuousClock.now
                                // A probe that has not sent its request when a burst pushes the server past
                                // 4 × the cap may be the oldest waiting connection, and closed: recorded as 0.
                                let status = (try? await HTTPTestClient.send("/healthz", port: port).status) ?? 0
                                flood.probe(status: status, latency: ContinuousClock.now - start)
                                flood.sample(
                                    rss: try Self.residentKilobytes(of: pid), descriptors: Self.openDescriptors(of: pid))
                                if floodDoneAt == nil, flood.isOpened { floodDoneAt = .now }
                                try await Task.sleep(for: .milliseconds(50))
                            }
                            return []
                        }
                        var held: [RawTestConnection] = []
                        for try await connections in group {
                            if !connections.isEmpty { flood.markOpened() }
                            held += connections
                        }
                        return held
                    }
                    #expect(held.count == 2 * Self.floodSize)

                    // The queue drains while the flood's connections are held on this side.
                    let entries = (0..<5_000).map { "10.\($0 / 65_536).\($0 / 256 % 256).\($0 % 256)" }
                    try await withConnection(server.url) { redis in
                        try await redis.push(entries)
                    }
                    // Counted once their batch is written, after they left the list.
                    try await waitUntil("the 5,000 entries are consumed", within: .seconds(30)) {
                        let body = try await HTTPTestClient.send("/metrics", port: port).body
                        return PrometheusSamples(body)["ipwatcher_entries_processed_total"] == 5_000
                    }

                    let summary = flood.summary(idleRSS: idleRSS, idleDescriptors: idleDescriptors)
                    print("metrics flood: \(summary)")
                    // Every answered probe is a 200; a few may be closed unanswered on a loaded machine (see the
                    // probe loop), never most of them.
                    let statuses = flood.statuses
                    #expect(statuses.allSatisfy { $0 == 200 || $0 == 0 }, "\(summary)")
                    #expect(statuses.filter { $0 == 200 }.count * 10 >= statuses.count * 9, "\(summary)")
                    #expect(statuses.count >= 10, "\(summary)")
                    // What a full accept queue looks like: a dropped SYN is resent after a second, so the typical
                    // probe would take a second or more. The bound is that second, for the median: heavy tests run
                    // beside this one (it loads the machine itself), so a wall-clock bound near what it measures
                    // alone (95th percentile 16–45 ms over four runs, README) would fail for the load, not the
                    // server; a loaded machine does not slow most probes twentyfold.
                    #expect(flood.latency(percentile: 50) < .seconds(1), "\(summary)")
                    #expect(flood.peakRSS - idleRSS < 10_240, "\(summary)")
                    // Capped at 4 × metrics.max_connections during a burst (see MetricsConnectionRegistry), plus
                    // the probe's and connections closed but not yet released by their event loops. How many of
                    // those are pending depends on the load: a CI run saw 66, so they get 128. Without the cap the
                    // flood's 4,000 connections would each hold one.
                    #expect(flood.peakDescriptors - idleDescriptors < 4 * 64 + 128, "\(summary)")
                    for connection in held { await connection.close() }
                    try await floodLoop.shutdownGracefully()
                }
            }
        }
    }

    /// Opens ``floodSize`` silent and ``floodSize`` half-sent connections, 100 at a time, and returns them.
    ///
    /// On an event loop of their own, so that the probes' client side does not queue behind the flood's and
    /// the latency measured is the server's.
    static func openFlood(port: Int, on floodLoop: any EventLoopGroup) async throws -> [RawTestConnection] {
        var held: [RawTestConnection] = []
        for batch in stride(from: 0, to: 2 * floodSize, by: 100) {
            held += try await withThrowingTaskGroup(of: RawTestConnection.self) { group in
                for index in batch..<batch + 100 {
                    group.addTask {
                        let connection = try await RawTestConnection.open(port: port, group: floodLoop)
                        // The server may already have closed an older connection to admit this one; a send
                        // to a closed connection fails and is of no interest.
                        if index.isMultiple(of: 2) { try? await connection.send(halfSentRequest) }
                        return connection
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        return held
    }

    /// `VmRSS` of process `pid`, in kB.
    static func residentKilobytes(of pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ")[1])
        else { throw WaitTimedOut(description: "no VmRSS in /proc/\(pid)/status") }
        return kilobytes
    }

    /// The number of descriptors process `pid` has open.
    static func openDescriptors(of pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }
}
