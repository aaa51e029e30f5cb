import Logging
import RESP
import RedisClient
import ServiceLifecycle

/// Reads the queue's length (`LLEN`) about once a second into ``WorkerMetrics``, so a scrape never waits on
/// Redis.
///
/// It shares the write connection: an `LLEN` per queue shard is an O(1) command beside each batch. It never cancels a command
/// it sent — the client closes a connection whose command was abandoned, which would fail the batch writes
/// beside it — so on graceful shutdown it only stops waiting for the next round. While the connection is
/// down it sends nothing, and the gauge keeps its last value.
public struct QueueLengthService: Service {
    private let client: RedisRouter
    private let keys: [String]
    private let metrics: WorkerMetrics
    private let interval: Duration
    private let logger: Logger

    /// Creates the service; `keys` are the lists whose lengths are reported.
    public init(
        client: RedisRouter, keys: [String], metrics: WorkerMetrics, interval: Duration = .seconds(1), logger: Logger
    ) {
        self.client = client
        self.keys = keys
        self.metrics = metrics
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        var failing = false
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if client.state.isReady {
                do {
                    try await refresh()
                    if failing { logger.info("reading the queue length again") }
                    failing = false
                } catch {
                    // Once per outage: a missing ACL permission (+llen) would otherwise log every second.
                    if !failing {
                        logger.warning(
                            "cannot read the queue length; ipwatcher_queue_length keeps its last value",
                            metadata: ["error": "\(error)"])
                    }
                    failing = true
                }
            }
            let interval = self.interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One `LLEN` per key, in one pipeline (one per node of a cluster).
    private func refresh() async throws {
        let replies = try await client.pipeline(keys.map { RedisRoutedCommand(RESPCommand("LLEN", $0), key: $0) })
        for (key, reply) in zip(keys, replies) {
            if let length = try reply.throwingServerError().int { metrics.setQueueLength(Int(length), key: key) }
        }
    }
}
