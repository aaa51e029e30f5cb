import Foundation
import IPWatcherDaemon
import Logging
import RESP
import RedisClient
import SystemdNotify
import Traffic

/// One run of `ipwatcher demo`: workers in this process, the `mixed` scenario fed to their queue, each block
/// reported as the workers announce it, and the detection report at the end.
///
/// Against whatever Redis it is given: the command starts a private server or cluster, or passes a URL; the run
/// itself never starts or stops a server, so tests can run it in-process against their own.
public struct DemoRun: Sendable {
    /// Where Redis is (a cluster's first master with `clusterSeeds`).
    public var endpoint: RedisEndpoint
    /// The cluster's masters, or nil for a single server.
    public var clusterSeeds: [RedisEndpoint]?
    /// The workers' settings; with several workers each gets its own worker ID.
    public var settings: WorkerSettings
    /// How many workers to run.
    public var workers: Int
    /// Requests to send.
    public var count: Int
    /// Requests per second, or nil for as fast as possible.
    public var rate: Double?
    /// Seed of the synthetic traffic.
    public var seed: UInt64

    /// A run of `workers` workers with `settings`, sending `count` requests of the mixed scenario.
    public init(
        endpoint: RedisEndpoint, clusterSeeds: [RedisEndpoint]?, settings: WorkerSettings, workers: Int, count: Int,
        rate: Double?, seed: UInt64
    ) {
        self.endpoint = endpoint
        self.clusterSeeds = clusterSeeds
        self.settings = settings
        self.workers = workers
        self.count = count
        self.rate = rate
        self.seed = seed
    }

    /// What the run found: the feed's outcome (with the detection report) and each worker's totals.
    public struct Outcome: Sendable {
        /// The feed's summary, detection report and warnings.
        public var feed: FeedOutcome
        /// Each worker's totals at the end, in worker order.
        public var workerTotals: [WorkerStatistics.Snapshot]
    }

    /// Runs the workers and the feed until the feed's report is in, then stops the workers.
    ///
    /// `onBlock` gets each block event from the events channel as it arrives; `onProgress` the feed's progress
    /// every 200 ms. Cancelling the calling task stops everything the run started.
    public func run(
        onBlock: @escaping @Sendable (BlockEvent) -> Void, onProgress: @escaping @Sendable (FeedProgress) -> Void
    ) async throws -> Outcome {
        var logger = Logger(label: "ipwatcher.demo")
        logger.logLevel = .error
        let processID = ProcessInfo.processInfo.processIdentifier
        let workers = (1...self.workers).map { index in
            var own = settings
            if self.workers > 1 { own.workerID = "\(settings.workerID)-demo-\(index)" }
            return IPWatcherWorker(
                endpoint: endpoint, clusterSeeds: clusterSeeds, settings: own,
                redisConfiguration: RedisConnectionConfiguration(clientName: "ipwatcher-demo"), logger: logger,
                notifier: SystemdNotifier(enabled: false), workerTag: "demo-\(processID)-\(index)",
                shutdownSignals: [])
        }
        var feed = FeedConfiguration(
            scenario: .mixed, rule: settings.detection.unitRule, seed: seed, limit: .count(count), rate: rate,
            withTime: false, queueKey: settings.queueKey)
        feed.queueShards = settings.queueShards
        feed.progressInterval = .milliseconds(200)
        let eventsChannel = settings.eventsChannel ?? "ipwatcher:events"
        let runner = FeedRunner(
            endpoint: endpoint, clusterSeeds: clusterSeeds, configuration: feed,
            report: ReportSettings(
                eventsChannel: eventsChannel, blocklistKey: settings.blocklistKey, drainTimeout: .seconds(60),
                grace: .seconds(1)),
            logger: logger)

        // Each block is reported as the worker announces it, from a subscription of the run's own.
        let watcher = try await RedisConnection.connect(to: endpoint, logger: logger) { push in
            guard let json = Self.message(of: push), let event = BlockEvent(json: json) else { return }
            onBlock(event)
        }
        do {
            try await watcher.subscribe([eventsChannel])
            let outcome = try await withThrowingTaskGroup(of: FeedOutcome?.self) { group in
                for worker in workers {
                    group.addTask {
                        try await worker.run()
                        return nil
                    }
                }
                group.addTask { try await runner.run(progress: onProgress) }
                defer { group.cancelAll() }
                while let result = try await group.next() {
                    if let result { return result }
                }
                throw CancellationError()
            }
            await watcher.closeNow()
            return Outcome(feed: outcome, workerTotals: workers.map(\.statistics.snapshot))
        } catch {
            await watcher.closeNow()
            throw error
        }
    }

    /// The payload of a pub/sub `message` push: `["message", channel, payload]`.
    private static func message(of push: RESPToken) -> String? {
        guard let parts = push.withoutAttributes.array, parts.count == 3 else { return nil }
        let values = Array(parts)
        guard values[0].string == "message" else { return nil }
        return values[2].string
    }
}
