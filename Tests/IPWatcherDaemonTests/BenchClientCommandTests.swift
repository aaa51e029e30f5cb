import Foundation
import IPWatcherTestSupport
import Testing

/// `ipwatcher bench client`, the built executable, with settings small enough for a test: it starts its own
/// redis-server, measures the client beside redis-benchmark and reports both; the numbers are not judged.
@Suite("ipwatcher bench client", .needsRedisServer, .timeLimit(.minutes(10)), .loadsMachine)
struct BenchClientCommandTests {
    @Test("bench client --json reports positive rates for the client and redis-benchmark and their ratios")
    func smallRunReports() async throws {
        try await withScratchDirectory { scratch in
            let arguments = ["--requests", "5000", "--connections", "4", "--round-trips", "500", "--repeats", "1"]
            let result = try await runIPWatcher(
                ["bench", "client", "--json"] + arguments, in: scratch, within: .seconds(120))
            #expect(result.outcome.status == 0, "stderr:\n\(result.stderr.suffix(20).joined(separator: "\n"))")
            let output = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
            let report = try #require(output["report"] as? [String: Any], "\(output)")
            #expect(report["requests"] as? Int == 5000 && report["roundTrips"] as? Int == 500)
            #expect(report["connections"] as? Int == 4 && report["pipeline"] as? Int == 64)
            let rates = ["clientINCR", "clientSETGET", "redisBenchmarkINCR", "redisBenchmarkSETGET"].map {
                report[$0] as? Double ?? 0
            }
            #expect(rates.allSatisfy { $0 > 0 }, "\(report)")
            let incrRatio = try #require(output["incrRatio"] as? Double)
            let setGetRatio = try #require(output["setGetRatio"] as? Double)
            #expect(abs(incrRatio - rates[0] / rates[2]) < 1e-9 && abs(setGetRatio - rates[1] / rates[3]) < 1e-9)
            // The private server on its unix socket, whose directory is gone afterwards.
            let endpoint = try #require(report["endpoint"] as? String)
            #expect(endpoint.hasPrefix("unix://") && endpoint.hasSuffix("/redis.sock"), "\(endpoint)")
            let directory = String(endpoint.dropFirst("unix://".count).dropLast("/redis.sock".count))
            #expect(!FileManager.default.fileExists(atPath: directory), "the private server's directory is left")
        }
    }
}
