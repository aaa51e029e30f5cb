import Foundation
import IPWatcherTestSupport
import Testing

/// `ipwatcher bench client`, the built executable, with settings small enough for a test: it starts its own
/// redis-server, measures the client beside redis-benchmark and reports both; the numbers are not judged.
@Suite("ipwatcher bench client", .needsRedisServer, .timeLimit(.minutes(3)), .loadsMachine)
struct BenchClientCommandTests {
    /// `bench client --json`.
    struct Output: Decodable {
        struct Report: Decodable {
            var clientINCR: Double
            var clientSETGET: Double
            var redisBenchmarkINCR: Double
            var redisBenchmarkSETGET: Double
            var requests: Int
            var roundTrips: Int
            var pipeline: Int
            var connections: Int
            var endpoint: String
        }

        var report: Report
        var incrRatio: Double
        var setGetRatio: Double
    }

    @Test("bench client --json reports positive rates for the client and redis-benchmark and their ratios")
    func smallRunReports() async throws {
        try await withScratchDirectory { scratch in
            let result = try await runIPWatcher(
                [
                    "bench", "client", "--json", "--requests", "5000", "--connections", "4", "--round-trips", "500",
                    "--repeats", "1",
                ],
                in: scratch, within: .seconds(120))
            #expect(result.outcome.status == 0, "stderr:\n\(result.stderr.suffix(20).joined(separator: "\n"))")
            let output = try JSONDecoder().decode(Output.self, from: Data(result.stdout.utf8))
            let report = output.report
            #expect(report.requests == 5000 && report.roundTrips == 500 && report.connections == 4)
            #expect(report.pipeline == 64)
            #expect(report.endpoint.hasPrefix("unix://"), "a private server on its unix socket")
            #expect(report.clientINCR > 0 && report.clientSETGET > 0)
            #expect(report.redisBenchmarkINCR > 0 && report.redisBenchmarkSETGET > 0)
            #expect(abs(output.incrRatio - report.clientINCR / report.redisBenchmarkINCR) < 1e-9)
            #expect(abs(output.setGetRatio - report.clientSETGET / report.redisBenchmarkSETGET) < 1e-9)
            let directory = report.endpoint.dropFirst("unix://".count).dropLast("/redis.sock".count)
            #expect(
                !FileManager.default.fileExists(atPath: String(directory)), "the private server's directory is gone")
        }
    }
}
