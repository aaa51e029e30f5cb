import ArgumentParser
import Foundation
import LocalRedis
import Logging
import RESP
import RedisClient

/// `ipwatcher bench client`: the RESP client's throughput beside `redis-benchmark` on the same server.
///
/// Both run in the same invocation against the same server, so the ratio holds even on a shared, noisy
/// machine where absolute numbers move from run to run.
struct ClientBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Pipelined INCR and SET/GET round trips, beside redis-benchmark, as a ratio."
    )

    @Option(help: "Redis URL to benchmark against; without it a private redis-server is started and stopped.")
    var url: String?

    @Option(help: "INCR commands per measurement.")
    var requests: Int = 2_000_000

    @Option(help: "Commands per pipeline (redis-benchmark -P).")
    var pipeline: Int = 64

    @Option(help: "Concurrent connections (redis-benchmark -c).")
    var connections: Int = 50

    @Option(help: "SET+GET round trips, one command at a time on one connection.")
    var roundTrips: Int = 20_000

    @Option(help: "Best of this many runs of each measurement.")
    var repeats: Int = 3

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        guard requests > 0, pipeline > 0, connections > 0, roundTrips > 0, repeats > 0 else {
            throw ValidationError("--requests, --pipeline, --connections, --round-trips and --repeats must be positive")
        }
    }

    func run() async throws {
        var server: LocalRedisServer?
        let endpoint: RedisEndpoint
        if let url {
            endpoint = try RedisEndpoint(url: url)
        } else {
            var options = LocalRedisServerOptions()
            options.tcp = false
            let started = try await LocalRedisServer.start(options)
            server = started
            endpoint = try RedisEndpoint(url: started.url)
        }
        do {
            let report = try await measure(endpoint: endpoint)
            print(json ? report.json : report.table)
        } catch {
            await server?.stop()
            throw error
        }
        await server?.stop()
    }

    private func measure(endpoint: RedisEndpoint) async throws -> ClientBenchReport {
        let benchmark = RedisBenchmarkRunner(endpoint: endpoint)
        var report = ClientBenchReport(
            endpoint: "\(endpoint)", requests: requests, pipeline: pipeline, connections: connections,
            roundTrips: roundTrips)
        var logger = Logger(label: "ipwatcher.bench")
        logger.logLevel = .warning
        var connections: [RedisConnection] = []
        for _ in 0..<self.connections {
            connections.append(try await RedisConnection.connect(to: endpoint, logger: logger))
        }
        defer { for connection in connections { connection.channel.close(promise: nil) } }

        for _ in 0..<repeats {
            report.redisBenchmarkINCR = max(
                report.redisBenchmarkINCR ?? 0,
                try benchmark.run(test: "incr", requests: requests, clients: self.connections, pipeline: pipeline) ?? 0)
            report.clientINCR = max(report.clientINCR, try await pipelinedINCR(connections))
            report.redisBenchmarkSETGET = max(
                report.redisBenchmarkSETGET ?? 0,
                try benchmark.run(test: "set,get", requests: roundTrips, clients: 1, pipeline: 1) ?? 0)
            report.clientSETGET = max(report.clientSETGET, try await roundTripsSETGET(connections[0]))
        }
        return report
    }

    /// Sends `requests` INCRs spread over the connections, each keeping one pipeline of `pipeline` in flight.
    private func pipelinedINCR(_ connections: [RedisConnection]) async throws -> Double {
        let perConnection = requests / connections.count
        let pipeline = self.pipeline
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for connection in connections {
                group.addTask(executorPreference: connection.taskExecutor) {
                    var encoder = RESPCommandEncoder()
                    for _ in 0..<pipeline { encoder.encode("INCR", "ipwatcher:bench:incr") }
                    var sent = 0
                    while sent < perConnection {
                        let batch = min(pipeline, perConnection - sent)
                        if batch < pipeline {
                            encoder.reset()
                            for _ in 0..<batch { encoder.encode("INCR", "ipwatcher:bench:incr") }
                        }
                        let replies = try await connection.pipeline(encoder)
                        guard replies.count == batch, replies.last?.int != nil else {
                            throw RedisError.unexpectedReply(
                                command: "INCR", reply: replies.last?.description ?? "no reply")
                        }
                        sent += batch
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(perConnection * connections.count) / (ContinuousClock.now - start).secondsValue
    }

    /// Alternates SET and GET, waiting for each reply before the next command.
    private func roundTripsSETGET(_ connection: RedisConnection) async throws -> Double {
        let set = RESPCommand("SET", "ipwatcher:bench:key", "xxx")
        let get = RESPCommand("GET", "ipwatcher:bench:key")
        let roundTrips = self.roundTrips
        return try await withTaskExecutorPreference(connection.taskExecutor) {
            let start = ContinuousClock.now
            for index in 0..<roundTrips {
                let reply = try await connection.send(index % 2 == 0 ? set : get)
                guard !reply.isNull else { throw RedisError.unexpectedReply(command: "GET", reply: "(nil)") }
            }
            return Double(roundTrips) / (ContinuousClock.now - start).secondsValue
        }
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var secondsValue: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
