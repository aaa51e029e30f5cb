import Logging
import RESP
import RedisClient

/// A whole `ipwatcher feed`: optionally subscribe to the worker's block events, send the feed, wait for the
/// worker to drain the queue, read the blocklist, and judge the result against the ground truth.
///
/// The subscription starts before the first request, so every block is heard; the feeder tells it how many
/// of each unit's requests were sent when its block arrived. The demo runs this in-process beside a worker.
public struct FeedRunner: Sendable {
    /// What to send and where: the endpoint or cluster seeds, the feed, and the connections' settings.
    ///
    /// With cluster seeds, the queue length is summed over the shards through each shard's master, the
    /// blocklist is read where its key lives, and block events are heard on the first seed that accepts the
    /// subscription (a cluster delivers every `PUBLISH` to every node).
    public var feeder: TrafficFeeder
    /// Where the worker's results are; nil sends without a report.
    public var report: ReportSettings?

    /// Creates a runner.
    public init(
        endpoint: RedisEndpoint, clusterSeeds: [RedisEndpoint]? = nil, configuration: FeedConfiguration,
        report: ReportSettings? = nil,
        connectionConfiguration: RedisConnectionConfiguration = RedisConnectionConfiguration(clientName: "ipwatcher-feed"),
        logger: Logger = Logger(label: "ipwatcher.feed")
    ) {
        feeder = TrafficFeeder(
            endpoint: endpoint, clusterSeeds: clusterSeeds, configuration: configuration,
            connectionConfiguration: connectionConfiguration, logger: logger)
        self.report = report
    }

    /// Runs the feed and, with ``report`` set, the detection report; `progress` hears the feed's progress
    /// and then, while the queue drains, ``FeedProgress/Stage-swift.enum/draining(remaining:)``.
    ///
    /// A queue that does not drain within the timeout still gets a report (with ``FeedOutcome/drain`` saying
    /// so), since it shows what the worker managed; callers decide whether that is a failure.
    public func run(progress: (@Sendable (FeedProgress) -> Void)? = nil) async throws -> FeedOutcome {
        if let problem = feeder.configuration.validate() { throw FeedError.invalidConfiguration(problem) }
        guard let report else {
            return FeedOutcome(summary: try await feeder.run(progress: progress), report: nil, drain: nil, warnings: [])
        }
        if let clusterSeeds = feeder.clusterSeeds, !clusterSeeds.isEmpty {
            let client = RedisClusterClient(
                seeds: clusterSeeds, configuration: feeder.connectionConfiguration, logger: feeder.logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.run() }
                defer { group.cancelAll() }
                return try await run(feeder: feeder, report: report, redis: .cluster(client), progress: progress)
            }
        }
        let redis = try await RedisConnection.connect(
            to: feeder.endpoint, configuration: feeder.connectionConfiguration, logger: feeder.logger)
        return try await run(feeder: feeder, report: report, redis: .server(redis), progress: progress)
    }

    /// Subscribes to the block events, feeds and judges; closes what it opened, `redis` included.
    private func run(
        feeder: TrafficFeeder, report: ReportSettings, redis: FeedTransport,
        progress: (@Sendable (FeedProgress) -> Void)?
    ) async throws -> FeedOutcome {
        let recorder: BlockEventRecorder
        do {
            recorder = try await subscribe(channel: report.eventsChannel)
        } catch {
            await redis.closeNow()
            throw error
        }
        do {
            let outcome = try await feedAndJudge(
                feeder: feeder, report: report, redis: redis, recorder: recorder, progress: progress)
            await recorder.close()
            await redis.close()
            return outcome
        } catch {
            await recorder.close()
            await redis.closeNow()
            throw error
        }
    }

    /// The recorder, subscribed on the server or on the first cluster seed that accepts; the last seed's error
    /// is thrown when none does.
    private func subscribe(channel: String) async throws -> BlockEventRecorder {
        let endpoints = feeder.clusterSeeds.flatMap { $0.isEmpty ? nil : $0 } ?? [feeder.endpoint]
        for candidate in endpoints.dropLast() {
            do {
                return try await BlockEventRecorder.subscribe(
                    endpoint: candidate, channel: channel, configuration: feeder.connectionConfiguration,
                    logger: feeder.logger)
            } catch {
                feeder.logger.notice("cannot subscribe on a cluster seed; trying the next", metadata: ["error": "\(error)"])
            }
        }
        return try await BlockEventRecorder.subscribe(
            endpoint: endpoints[endpoints.count - 1], channel: channel, configuration: feeder.connectionConfiguration,
            logger: feeder.logger)
    }

    /// The queue's name for messages: the key, or its shards' range.
    private var queueName: String {
        let shards = feeder.configuration.shards
        return shards.count == 1 ? shards.baseKey : "\(shards.key(ofShard: 0)) … \(shards.key(ofShard: shards.count - 1))"
    }

    private func feedAndJudge(
        feeder: TrafficFeeder, report: ReportSettings, redis: FeedTransport, recorder: BlockEventRecorder,
        progress: (@Sendable (FeedProgress) -> Void)?
    ) async throws -> FeedOutcome {
        var warnings: [String] = []
        let queued = try await redis.queueLength(of: feeder.configuration.shards)
        if queued > 0 {
            warnings.append(
                "\(queueName) already holds \(NumberText.grouped(queued)) entries: the worker counts them too")
        }
        let listed = try await redis.send(RESPCommand("SCARD", report.blocklistKey), key: report.blocklistKey).int ?? 0
        if listed > 0 {
            warnings.append(
                "\(report.blocklistKey) already has \(NumberText.grouped(Int(listed))) members: units of this feed among them "
                    + "count as caught (an earlier run with the same seed sends the same addresses)")
        }

        let summary = try await feeder.run(recorder: recorder, progress: progress)
        if summary.reconnects > 0, case .server = redis {
            // Redis went away during the feed, and this connection with it; the drain needs a live one. (A
            // cluster client reconnects by itself.)
            let fresh = FeedTransport.server(
                try await RedisConnection.connect(
                    to: feeder.endpoint, configuration: feeder.connectionConfiguration, logger: feeder.logger))
            do {
                let outcome = try await judge(
                    summary, report: report, redis: fresh, recorder: recorder, warnings: warnings, progress: progress)
                await fresh.close()
                return outcome
            } catch {
                await fresh.closeNow()
                throw error
            }
        }
        return try await judge(
            summary, report: report, redis: redis, recorder: recorder, warnings: warnings, progress: progress)
    }

    /// Waits for the worker to drain the queue, then compares the blocklist with the feed's ground truth.
    private func judge(
        _ summary: FeedSummary, report: ReportSettings, redis: FeedTransport, recorder: BlockEventRecorder,
        warnings: [String], progress: (@Sendable (FeedProgress) -> Void)?
    ) async throws -> FeedOutcome {
        var warnings = warnings
        if summary.reconnects > 0 {
            warnings.append("Redis went away during the feed: block events published meanwhile are not in this report")
        }
        let clock = ContinuousClock()
        let drainStart = clock.now
        let shards = feeder.configuration.shards
        let drainer = QueueDrainer(queueKey: feeder.configuration.queueKey, timeout: report.drainTimeout)
        let drain = try await drainer.wait(polling: { try await redis.queueLength(of: shards) }) { remaining in
            progress?(
                FeedProgress(
                    stage: .draining(remaining: remaining), sent: summary.sent, planned: summary.sent,
                    elapsed: clock.now - drainStart, recentRate: 0, averageRate: summary.rate))
        }
        try await Task.sleep(for: report.grace)
        recorder.resolveRemaining(with: summary.truth)
        let members = try await redis.send(RESPCommand("SMEMBERS", report.blocklistKey), key: report.blocklistKey)
        var blocked: Set<String> = []
        if let elements = members.array {
            for element in elements { if let name = element.string { blocked.insert(name) } }
        }
        var bannedRanges: Set<String> = []
        if summary.truth.setup.ranges.isOn {
            let ranges = try await redis.send(RESPCommand("SMEMBERS", report.rangesKey), key: report.rangesKey)
            for element in ranges.array.map(Array.init) ?? [] { if let name = element.string { bannedRanges.insert(name) } }
        }
        let detection = DetectionReport(
            truth: summary.truth, blocked: blocked, events: recorder.events, sentAtBlock: recorder.sentAtBlock,
            bannedRanges: bannedRanges)
        return FeedOutcome(summary: summary, report: detection, drain: drain, warnings: warnings)
    }
}
