import Foundation
import IPWatcherTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ipwatcher demo` runs the whole product against a private redis-server (or cluster) and leaves nothing behind.
@Suite(.needsRedisServer, .serialized)
struct DemoCommandTests {
    /// The private server's directory, from the demo's "started a private redis-server at unix://DIR/redis.sock".
    private static func serverDirectory(in lines: [String]) -> String? {
        for line in lines {
            guard let start = line.range(of: "unix://"), let end = line.range(of: "/redis.sock") else { continue }
            return String(line[start.upperBound..<end.lowerBound])
        }
        return nil
    }

    @Test func demoRunsToCompletionPrintsTheReportAndLeavesNothingRunning() async throws {
        try await withScratchDirectory { scratch in
            let result = try await runIPWatcher(
                ["demo", "--count", "6000", "--rate", "0", "--seed", "7"], in: scratch, within: .seconds(60))
            #expect(result.outcome.status == 0)
            #expect(result.stdout.contains("bots caught"))
            #expect(result.stdout.contains("users wrongly blocked  0 of"))
            #expect(result.stderr.contains { $0.contains("blocked ") })
            let directory = try #require(Self.serverDirectory(in: result.stderr))
            #expect(ProcessTable.pids(mentioning: directory).isEmpty, "the private redis-server still runs")
            #expect(!FileManager.default.fileExists(atPath: directory), "the private server's files are left")
        }
    }

    @Test("demo --cluster: three workers on a 12-shard queue of a private 3-master cluster catch every bot, and the cluster is gone after")
    func clusterDemoCatchesEveryBot() async throws {
        try await withScratchDirectory { scratch in
            let result = try await runIPWatcher(
                ["demo", "--cluster", "--count", "6000", "--rate", "0", "--seed", "7"], in: scratch, within: .seconds(90))
            #expect(result.outcome.status == 0, "\(result.stderr)")
            let caught = try #require(result.stdout.split(separator: "\n").first { $0.contains("bots caught") })
            #expect(caught.contains("missed 0"), "\(caught)")
            #expect(result.stdout.contains("users wrongly blocked  0 of"))
            for index in 1...3 {
                #expect(result.stderr.contains { $0.hasPrefix("worker \(index): processed ") }, "worker \(index) did not report")
            }
            let started = try #require(result.stderr.first { $0.hasPrefix("started a private Redis Cluster") })
            #expect(result.stderr.contains("stopped the private Redis Cluster"))
            // "… 3 masters at 127.0.0.1:P1, 127.0.0.1:P2, 127.0.0.1:P3 (…)": none of them may still listen.
            let ports = started.split(separator: " ").filter { $0.hasPrefix("127.0.0.1:") }.compactMap { word in
                Int(word.dropFirst("127.0.0.1:".count).trimmingCharacters(in: CharacterSet(charactersIn: ",")))
            }
            #expect(ports.count == 3, "\(started)")
            for port in ports {
                await #expect(throws: (any Error).self, "a node still answers on port \(port)") {
                    _ = try await ChannelSubscriber(port: port, channel: "ipwatcher:events", within: .seconds(1))
                }
            }
        }
    }

    @Test func interruptedDemoStopsItsServerAndExits130() async throws {
        try await withScratchDirectory { scratch in
            try await withDaemon(["demo", "--count", "1000000", "--rate", "2000"], in: scratch) { demo in
                try await waitUntil("the demo started its server and worker", within: .seconds(20)) {
                    Self.serverDirectory(in: demo.standardErrorLines) != nil
                        && demo.standardErrorLines.contains { $0.hasPrefix("worker:") }
                }
                try await Task.sleep(for: .milliseconds(500))
                demo.deliver(SIGINT)
                let outcome = try await demo.waitForExit(within: .seconds(10))
                #expect(outcome?.status == 130)
                let directory = try #require(Self.serverDirectory(in: demo.standardErrorLines))
                #expect(ProcessTable.pids(mentioning: directory).isEmpty, "the private redis-server still runs")
                #expect(!FileManager.default.fileExists(atPath: directory))
            }
        }
    }
}
