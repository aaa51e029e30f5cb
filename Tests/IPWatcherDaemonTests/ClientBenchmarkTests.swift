import Benchmark
import IPWatcherTestSupport
import RESP
import RedisClient
import Testing

/// `ipwatcher bench client`'s measurements in-process, small: they send exactly the work they report.
@Suite("Client benchmark, in-process", .needsRedisServer, .timeLimit(.minutes(10)))
struct ClientBenchmarkTests {
    @Test("the INCR run sends exactly requests INCRs over its connections, and both rates are reported")
    func sendsTheWorkItReports() async throws {
        try await withRedisServer { server in
            let benchmark = ClientBenchmark(requests: 2_000, pipeline: 16, connections: 4, roundTrips: 200, repeats: 1)
            let report = try await benchmark.run(endpoint: try RedisEndpoint(url: server.url))
            #expect(report.clientINCR > 0)
            #expect(report.clientSETGET > 0)
            #expect(report.requests == 2_000 && report.connections == 4 && report.roundTrips == 200)
            // redis-benchmark's `-t incr`, when installed, counts on a key of its own (`counter:__rand_int__`), so
            // the client's key holds exactly what the client sent.
            try await withConnection(server.url) { connection in
                let count = try await connection.send(RESPCommand("GET", "ipwatcher:bench:incr"))
                #expect(count.string == "2000", "\(count)")
            }
        }
    }
}
