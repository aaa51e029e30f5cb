import Foundation
import Logging
import RESP
import RedisClient

/// The RESP client's throughput beside `redis-benchmark` on the same server: pipelined INCRs over many
/// connections and SET/GET round trips on one.
///
/// Both run in the same invocation against the same server, so the ratio holds even on a shared, noisy
/// machine where absolute numbers move from run to run.
public struct ClientBenchmark: Sendable {
    /// INCR commands per measurement.
    public var requests: Int
    /// Commands per pipeline (redis-benchmark -P).
    public var pipeline: Int
    /// Concurrent connections (redis-benchmark -c).
    public var connections: Int
    /// SET+GET round trips, one command at a time on one connection.
    public var roundTrips: Int
    /// Best of this many runs of each measurement.
    public var repeats: Int

    /// A benchmark of these sizes; all must be positive.
    public init(requests: Int, pipeline: Int, connections: Int, roundTrips: Int, repeats: Int) {
        self.requests = requests
        self.pipeline = pipeline
        self.connections = connections
        self.roundTrips = roundTrips
        self.repeats = repeats
    }

    /// Runs every measurement `repeats` times against `endpoint` and reports the best of each, beside
    /// redis-benchmark's figures for the same work.
    public func run(endpoint: RedisEndpoint) async throws -> ClientBenchReport {
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
        return Double(perConnection * connections.count) / (ContinuousClock.now - start).seconds
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
            return Double(roundTrips) / (ContinuousClock.now - start).seconds
        }
    }
}
