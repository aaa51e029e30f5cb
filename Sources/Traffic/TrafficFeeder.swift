import Detection
import IPWatcherWeb
import Logging
import NIOCore
import RESP
import RedisClient

/// Sends a scenario's requests to the queue list (or its shards) as fast as Redis takes them, or at a steady rate.
///
/// Entries are written straight from the generated requests into reused buffers as multi-value
/// `LPUSH key e1 … e500` commands, several commands to a pipeline and several pipelines awaiting replies at
/// once on one connection, so one process offers well over a million entries a second to a local Redis. A
/// paced feed sends, every ``FeedConfiguration/pacingSlice``, the requests whose time has come, and stamps
/// each with that time; see ``TrafficGenerator`` for what the requests are.
///
/// With ``FeedConfiguration/queueShards`` above 1, each entry goes to the shard ``QueueShards`` picks for its
/// address, one `LPUSH` per shard and batch. With ``clusterSeeds`` the feed goes to a Redis Cluster: each
/// pipeline's entries are split by shard key, and each shard's commands are sent to the master of its slot as
/// work of their own, so a lost node holds up and resends only its own shards.
public struct TrafficFeeder: Sendable {
    /// Where Redis is; for a cluster, unused (see ``clusterSeeds``).
    public let endpoint: RedisEndpoint
    /// The seed nodes of a Redis Cluster to feed instead of the one server at ``endpoint``; nil for one server.
    public var clusterSeeds: [RedisEndpoint]?
    /// What to send.
    public let configuration: FeedConfiguration
    /// Timeouts and client name of the feeder's connection.
    public var connectionConfiguration: RedisConnectionConfiguration
    /// Where connection messages go.
    public var logger: Logger

    /// Creates a feeder; nothing connects until ``run(recorder:progress:)``.
    public init(
        endpoint: RedisEndpoint, clusterSeeds: [RedisEndpoint]? = nil, configuration: FeedConfiguration,
        connectionConfiguration: RedisConnectionConfiguration = RedisConnectionConfiguration(clientName: "ipwatcher-feed"),
        logger: Logger = Logger(label: "ipwatcher.feed")
    ) {
        self.endpoint = endpoint
        self.clusterSeeds = clusterSeeds
        self.configuration = configuration
        self.connectionConfiguration = connectionConfiguration
        self.logger = logger
    }

    /// Sends the whole feed and returns what was sent, with its ground truth.
    ///
    /// `recorder`, when given, gets the feed's per-unit sent counts for the blocks it hears about while the
    /// feed runs. `crossings`, when given, records when each unit's request number
    /// ``ThresholdCrossingLog/threshold`` was handed to Redis. `progress` is called about every
    /// ``FeedConfiguration/progressInterval`` from the feeding task (keep it short), and once with
    /// ``FeedProgress/Stage-swift.enum/finished``. Throws
    /// ``FeedError/invalidConfiguration(_:)`` before connecting when the configuration cannot work, and
    /// ``RedisError`` when the first connection fails or Redis refuses a push (a server error, or refused
    /// credentials on reconnecting); cancelling the task stops the feed with an error.
    ///
    /// A connection lost mid-feed (Redis restarted, the network dropped) is logged and re-established with
    /// backoff, and the pipelines that had no reply are sent again on the new connection: nothing is lost, and
    /// what may have been queued twice is reported in ``FeedSummary/resent``.
    ///
    /// On a cluster, the first `PING` must be answered (else the feed fails as when the first connection
    /// fails); after that, a shard whose pipeline loses its node's connection is sent again after the
    /// reconnect backoff, once the cluster client has had time to reconnect or learn the slot's new master. The
    /// log names the node; the feed goes on retrying until the cluster answers or the task is cancelled.
    public func run(
        recorder: BlockEventRecorder? = nil, crossings: ThresholdCrossingLog? = nil,
        progress: (@Sendable (FeedProgress) -> Void)? = nil
    ) async throws -> FeedSummary {
        if let problem = configuration.validate() { throw FeedError.invalidConfiguration(problem) }
        let reconnect = FeedReconnector(endpoint: endpoint, configuration: connectionConfiguration, logger: logger)
        if let clusterSeeds, !clusterSeeds.isEmpty {
            let client = RedisClusterClient(seeds: clusterSeeds, configuration: connectionConfiguration, logger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.run() }
                defer { group.cancelAll() }
                _ = try await client.sendToAnyMaster(RESPCommand("PING"))
                var loop = FeedLoop(
                    configuration: configuration, transport: .cluster(client), recorder: recorder,
                    crossings: crossings, progress: progress, reconnect: reconnect)
                return try await loop.run()
            }
        }
        let connection = try await RedisConnection.connect(
            to: endpoint, configuration: connectionConfiguration, logger: logger)
        do {
            var loop = FeedLoop(
                configuration: configuration, transport: .server(connection), recorder: recorder,
                crossings: crossings, progress: progress, reconnect: reconnect)
            do {
                let summary = try await loop.run()
                await loop.transport.close()
                return summary
            } catch {
                await loop.transport.closeNow()
                throw error
            }
        } catch {
            await connection.closeNow()
            throw error
        }
    }
}

/// The state of one running feed: generator, current chunk, buffers and counters.
private struct FeedLoop {
    let configuration: FeedConfiguration
    /// The server connection is replaced when it is lost; a cluster client heals itself.
    var transport: FeedTransport
    let reconnect: FeedReconnector
    /// Requests sent again after a lost connection, and how often it was lost.
    var resent = 0
    var reconnects = 0
    /// Losses since a pipeline last got its reply; paces reconnecting to a Redis that answers but refuses.
    var consecutiveLosses = 0
    let recorder: BlockEventRecorder?
    let crossings: ThresholdCrossingLog?
    let progress: (@Sendable (FeedProgress) -> Void)?
    var generator: TrafficGenerator
    /// Units whose threshold-crossing request is in the pipeline being built.
    var crossedUnits: [Int32] = []
    var chunk = TrafficChunk()
    var chunkPosition = 0
    var lastChunkStart = Int64.min
    /// Entries handed to Redis, and acknowledged by it.
    var sent = 0
    var acknowledged = 0
    var commands = 0
    var inFlight = 0
    /// Encoders whose pipelines have their replies, ready for reuse.
    var spareEncoders: [RESPCommandEncoder] = []
    /// Scratch space for one command's entries.
    var entries = ByteBuffer()
    /// Per-shard entries, with more than one shard or on a cluster; nil on the plain single-key path.
    var sharding: ShardedEntryBuffers?
    /// Work units allowed in flight: pipelines, or on a cluster shard pushes (up to one per shard per pipeline).
    let inFlightLimit: Int
    let clock = ContinuousClock()
    let wallClock = WallClock()
    var start: ContinuousClock.Instant
    var startMilliseconds: Int64 = 0
    var nextProgress: ContinuousClock.Instant
    var lastProgress: (instant: ContinuousClock.Instant, sent: Int)

    typealias Completion = (work: FeedWork, entries: Int)

    init(
        configuration: FeedConfiguration, transport: FeedTransport, recorder: BlockEventRecorder?,
        crossings: ThresholdCrossingLog?, progress: (@Sendable (FeedProgress) -> Void)?, reconnect: FeedReconnector
    ) {
        self.configuration = configuration
        self.transport = transport
        if case .cluster = transport {
            sharding = ShardedEntryBuffers(shards: configuration.shards)
            inFlightLimit = configuration.pipelinesInFlight * configuration.shards.count
        } else {
            sharding = configuration.shards.count > 1 ? ShardedEntryBuffers(shards: configuration.shards) : nil
            inFlightLimit = configuration.pipelinesInFlight
        }
        self.reconnect = reconnect
        self.recorder = recorder
        self.crossings = crossings
        self.progress = progress
        self.generator = TrafficGenerator(
            scenario: configuration.scenario, setup: configuration.setup, seed: configuration.seed,
            timed: configuration.sendsEventTimes, addressesPerRound: configuration.addressesPerRound)
        let now = ContinuousClock.now
        start = now
        nextProgress = now
        lastProgress = (now, 0)
    }

    mutating func run() async throws -> FeedSummary {
        let waited = try await waitForPlaceableBoundary()
        start = clock.now
        startMilliseconds = wallClock.nowMilliseconds()
        nextProgress = start.advanced(by: configuration.progressInterval)
        lastProgress = (start, 0)
        let planned = configuration.plannedCount
        var deadline: ContinuousClock.Instant?
        if case .duration(let duration) = configuration.limit, configuration.rate == nil {
            deadline = start.advanced(by: duration)
        }

        try await withThrowingTaskGroup(of: Completion.self) { group in
            while true {
                try Task.checkCancellation()
                if let planned, sent >= planned { break }
                if let deadline, clock.now >= deadline { break }
                var allowance = min(configuration.entriesPerPipeline, planned.map { $0 - sent } ?? Int.max)
                if let rate = configuration.rate, let planned {
                    let due = min(planned, Int(((clock.now - start).seconds * rate).rounded(.down)))
                    if due <= sent {
                        try await sleepUntilDue(rate: rate)
                        reportProgressIfDue()
                        continue
                    }
                    allowance = min(allowance, due - sent)
                }
                if case .cluster = transport {
                    let encoded = encodeShardWork(upTo: allowance, planned: planned)
                    guard encoded.entries > 0 else { break }
                    for (work, entries) in encoded.works { try await dispatch(work, entries: entries, in: &group) }
                } else {
                    let encoded = encodePipeline(upTo: allowance, planned: planned)
                    guard encoded.entries > 0 else { break }
                    try await dispatch(.pipeline(encoded.encoder), entries: encoded.entries, in: &group)
                }
                resolveBlocks()
                reportProgressIfDue()
            }
            while inFlight > 0 { try await reap(&group) }
        }
        resolveBlocks()
        let elapsed = clock.now - start
        progress?(
            FeedProgress(
                stage: .finished, sent: sent, planned: planned ?? sent, elapsed: elapsed,
                recentRate: elapsed.seconds > 0 ? Double(sent) / elapsed.seconds : 0,
                averageRate: elapsed.seconds > 0 ? Double(sent) / elapsed.seconds : 0))
        var summary = FeedSummary(
            scenario: configuration.scenario, seed: configuration.seed, queueKey: configuration.queueKey,
            timed: generator.timed, sent: acknowledged, commands: commands, elapsed: elapsed, waited: waited,
            truth: generator.groundTruth())
        summary.resent = resent
        summary.reconnects = reconnects
        return summary
    }

    /// Hands `work` to Redis once fewer than ``inFlightLimit`` units await their replies, and counts it as sent.
    private mutating func dispatch(
        _ work: FeedWork, entries count: Int, in group: inout ThrowingTaskGroup<Completion, any Error>
    ) async throws {
        while inFlight >= inFlightLimit { try await reap(&group) }
        stampCrossings()
        send(work, entries: count, in: &group)
        sent += count
        commands += work.commandCount
    }

    /// Sends one unit of work from a child task.
    ///
    /// A server pipeline runs on the connection's event loop, whose jobs run in the order they were enqueued: the
    /// pipelines reach the socket in the order they were built, so the list holds the requests in generation
    /// order, and no thread hop sits between a reply and the next write. A cluster shard's commands go to its
    /// slot's master as one pipeline. A failure carries the work, so it can be sent again.
    private mutating func send(
        _ work: FeedWork, entries count: Int, in group: inout ThrowingTaskGroup<Completion, any Error>
    ) {
        switch (work, transport) {
        case (.pipeline(let encoder), .server(let connection)):
            group.addTask(executorPreference: connection.taskExecutor) {
                let replies: [RESPToken]
                do {
                    replies = try await connection.pipeline(encoder)
                } catch {
                    throw UnansweredPipeline(work: work, entries: count, error: error, node: nil)
                }
                try Self.checkPushReplies(replies, of: work, entries: count, node: nil)
                return (work, count)
            }
        case (.shard(let key, let commands), .cluster(let client)):
            let transport = self.transport
            group.addTask {
                let replies: [RESPToken]
                do {
                    replies = try await client.pipeline(commands.map { (key: key, command: $0) })
                } catch {
                    throw UnansweredPipeline(
                        work: work, entries: count, error: error, node: transport.nodeDescription(forKey: key))
                }
                try Self.checkPushReplies(replies, of: work, entries: count, node: transport.nodeDescription(forKey: key))
                return (work, count)
            }
        case (.pipeline, .cluster), (.shard, .server):
            preconditionFailure("feed work built for the other kind of Redis")
        }
        inFlight += 1
    }

    /// Throws when a push was refused: ``UnansweredPipeline`` for a transient error (the whole unit goes again),
    /// the server error itself for anything else.
    private static func checkPushReplies(
        _ replies: [RESPToken], of work: FeedWork, entries count: Int, node: String?
    ) throws {
        for reply in replies {
            if let error = reply.serverError, error.isTransient {
                // Not run (Redis is still loading its data, say): the whole unit goes again.
                throw UnansweredPipeline(work: work, entries: count, error: RedisError.server(error), node: node)
            }
            let value = try reply.throwingServerError()
            guard value.int != nil else {
                throw RedisError.unexpectedReply(command: "LPUSH", reply: "\(value)")
            }
        }
    }

    /// Waits, when the scenario has straddling bursts, until the clock is at a point of the window where the
    /// first chunk can hold them (see ``StraddlePlacement``).
    private mutating func waitForPlaceableBoundary() async throws -> Duration {
        guard generator.placesStraddlingBursts, let placement = generator.placement else { return .zero }
        let span = configuration.rate.map { Int64(Double(configuration.effectiveChunkSize) * 1000 / $0) } ?? 0
        let delay = placement.delay(before: wallClock.nowMilliseconds(), span: span)
        guard delay > 0 else { return .zero }
        let wait = Duration.milliseconds(delay)
        progress?(
            FeedProgress(
                stage: .waitingForWindowBoundary(wait), sent: 0, planned: configuration.plannedCount, elapsed: .zero,
                recentRate: 0, averageRate: 0))
        try await Task.sleep(for: wait)
        return wait
    }

    /// Sleeps until the next request is due or the next progress report, whichever is first, but at least
    /// one pacing slice, so a fast paced feed sends in slices rather than one request at a time.
    private func sleepUntilDue(rate: Double) async throws {
        let due = start.advanced(by: .seconds(Double(sent + 1) / rate))
        let earliest = clock.now.advanced(by: configuration.pacingSlice)
        try await Task.sleep(until: max(min(due, nextProgress), earliest), clock: clock)
    }

    /// Fills a pipeline with up to `limit` entries from the generator, as `LPUSH` commands of at most
    /// ``FeedConfiguration/entriesPerCommand`` entries (per shard, with more than one), recording them as sent.
    private mutating func encodePipeline(upTo limit: Int, planned: Int?) -> (encoder: RESPCommandEncoder, entries: Int) {
        var encoder = spareEncoders.popLast() ?? RESPCommandEncoder()
        encoder.reset()
        var count = 0
        while count < limit {
            let range = nextRun(maximum: min(configuration.entriesPerCommand, limit - count), taken: count, planned: planned)
            if range.isEmpty { break }
            if sharding == nil {
                entries.clear()
                chunk.events.withUnsafeBufferPointer { events in
                    for event in events[range] {
                        QueueEntryWriter.write(address: event.address, timeMilliseconds: event.timeMilliseconds, to: &entries)
                    }
                }
                encoder.encode("LPUSH", configuration.queueKey, EncodedEntries(bytes: entries, count: range.count))
            } else {
                let keys = sharding!.keys
                appendSharded(range) { shard, entries in encoder.encode("LPUSH", keys[shard], entries) }
            }
            count += range.count
        }
        if sharding != nil {
            let keys = sharding!.keys
            flushShards { shard, entries in encoder.encode("LPUSH", keys[shard], entries) }
        }
        return (encoder, count)
    }

    /// Takes up to `limit` entries from the generator for a cluster: one unit of work per shard that got any,
    /// each holding that shard's `LPUSH` commands.
    private mutating func encodeShardWork(upTo limit: Int, planned: Int?) -> (works: [Completion], entries: Int) {
        let keys = sharding!.keys
        var commandsByShard = [[RESPCommand]](repeating: [], count: keys.count)
        var entriesByShard = [Int](repeating: 0, count: keys.count)
        let emit = { (shard: Int, entries: EncodedEntries) in
            commandsByShard[shard].append(RESPCommand("LPUSH", keys[shard], entries))
            entriesByShard[shard] += entries.count
        }
        var count = 0
        while count < limit {
            let range = nextRun(maximum: min(configuration.entriesPerCommand, limit - count), taken: count, planned: planned)
            if range.isEmpty { break }
            appendSharded(range, emit: emit)
            count += range.count
        }
        flushShards(emit: emit)
        var works: [Completion] = []
        for shard in keys.indices where entriesByShard[shard] > 0 {
            works.append((.shard(key: keys[shard], commands: commandsByShard[shard]), entriesByShard[shard]))
        }
        return (works, count)
    }

    /// The positions in ``chunk`` of the next at most `maximum` requests, recorded as sent; empty when the feed
    /// has no more. `taken` is how many the pipeline being built already holds.
    private mutating func nextRun(maximum: Int, taken: Int, planned: Int?) -> Range<Int> {
        if chunkPosition == chunk.count {
            refillChunk(alreadyEncoded: taken, planned: planned)
            if chunk.count == 0 { return 0..<0 }
        }
        let take = min(maximum, chunk.count - chunkPosition)
        let range = chunkPosition..<(chunkPosition + take)
        if let crossings {
            generator.recordSent(chunk, range: range, reaching: crossings.threshold, into: &crossedUnits)
        } else {
            generator.recordSent(chunk, range: range)
        }
        chunkPosition += take
        return range
    }

    /// Sorts the requests at `range` of ``chunk`` into their shards, handing each shard that fills a command to
    /// `emit`.
    private mutating func appendSharded(_ range: Range<Int>, emit: (Int, EncodedEntries) -> Void) {
        let perCommand = configuration.entriesPerCommand
        for index in range {
            let event = chunk.events[index]
            let shard = sharding!.append(address: event.address, timeMilliseconds: event.timeMilliseconds)
            if sharding!.counts[shard] >= perCommand { sharding!.drain(shard: shard) { emit(shard, $0) } }
        }
    }

    /// Hands every shard's remaining entries to `emit`, so a pipeline ends with nothing held back.
    private mutating func flushShards(emit: (Int, EncodedEntries) -> Void) {
        for shard in 0..<(sharding?.counts.count ?? 0) { sharding!.drain(shard: shard) { emit(shard, $0) } }
    }

    /// Generates the next chunk, timed as the requests will be sent.
    private mutating func refillChunk(alreadyEncoded: Int, planned: Int?) {
        let next = sent + alreadyEncoded
        var timing: ChunkTiming?
        if generator.timed {
            if let rate = configuration.rate {
                let spacing = 1000 / rate
                timing = ChunkTiming(
                    startMilliseconds: startMilliseconds + Int64(Double(next) * spacing), millisecondsPerRequest: spacing)
            } else {
                // The clock, but never backwards, so a unit spread over chunks keeps its order.
                lastChunkStart = max(lastChunkStart, wallClock.nowMilliseconds())
                timing = ChunkTiming(startMilliseconds: lastChunkStart)
            }
        }
        generator.nextChunk(
            into: &chunk, limit: planned.map { $0 - next } ?? Int.max, timing: timing,
            targetSize: configuration.effectiveChunkSize)
        chunkPosition = 0
    }

    /// Records the threshold crossings of the pipeline about to be handed to the connection, stamped now.
    private mutating func stampCrossings() {
        guard let crossings, !crossedUnits.isEmpty else { return }
        let generator = self.generator
        crossings.record(
            units: crossedUnits.map { generator.unitName(at: $0) }, sentAt: clock.now,
            unixMilliseconds: wallClock.nowMilliseconds())
        crossedUnits.removeAll(keepingCapacity: true)
    }

    /// Waits for one unit of work's reply. When a connection was lost, waits for every other unit in flight
    /// (on one server, all on that connection), reconnects or on a cluster backs off, and sends the unanswered
    /// ones again.
    private mutating func reap(_ group: inout ThrowingTaskGroup<Completion, any Error>) async throws {
        guard let result = await group.nextResult() else { return }
        inFlight -= 1
        var unanswered: [UnansweredPipeline] = []
        try collect(result, into: &unanswered)
        guard !unanswered.isEmpty else { return }
        while inFlight > 0, let next = await group.nextResult() {
            inFlight -= 1
            try collect(next, into: &unanswered)
        }
        consecutiveLosses += 1
        let lostEntries = unanswered.reduce(0) { $0 + $1.entries }
        switch transport {
        case .server(let connection):
            reconnect.logger.warning(
                "lost the Redis connection; reconnecting and sending the unanswered pipelines again",
                metadata: ["error": "\(unanswered[0].error)", "entries": "\(lostEntries)"])
            if consecutiveLosses > 1 {
                // Redis answers but refuses (still loading): back off as between failed connects.
                try await Task.sleep(for: reconnect.configuration.backoff.delay(attempt: consecutiveLosses - 1))
            }
            transport = .server(try await reconnect.connection(replacing: connection))
        case .cluster:
            if consecutiveLosses == 1 || consecutiveLosses % 20 == 0 {
                let nodes = Set(unanswered.compactMap(\.node)).sorted().joined(separator: ", ")
                reconnect.logger.warning(
                    "lost the connection to Redis Cluster node \(nodes); sending its unanswered shards again after backoff",
                    metadata: [
                        "error": "\(unanswered[0].error)", "entries": "\(lostEntries)",
                        "failures": "\(consecutiveLosses)",
                    ])
            }
            // The cluster client reconnects and relearns the slot map by itself; give it the time a failover or a
            // restart takes, growing as the losses go on.
            try await Task.sleep(for: reconnect.configuration.backoff.delay(attempt: consecutiveLosses))
        }
        reconnects += 1
        for pipeline in unanswered {
            resent += pipeline.entries
            send(pipeline.work, entries: pipeline.entries, in: &group)
        }
    }

    /// Books a pipeline's outcome: acknowledged, unanswered (kept for sending again), or a failure that ends
    /// the feed — a server error, or anything but a lost connection.
    private mutating func collect(
        _ result: Result<Completion, any Error>, into unanswered: inout [UnansweredPipeline]
    ) throws {
        switch result {
        case .success(let completion):
            consecutiveLosses = 0
            acknowledged += completion.entries
            if case .pipeline(let encoder) = completion.work { spareEncoders.append(encoder) }
        case .failure(let failure as UnansweredPipeline) where FeedReconnector.isConnectionLoss(failure.error):
            unanswered.append(failure)
        case .failure(let failure as UnansweredPipeline):
            throw failure.error
        case .failure(let error):
            throw error
        }
    }

    /// Gives the recorder the sent counts of units whose block it heard about since the last call.
    private mutating func resolveBlocks() {
        guard let recorder else { return }
        let generator = self.generator
        recorder.resolvePending { generator.sentCount(ofUnitNamed: $0) }
    }

    private mutating func reportProgressIfDue() {
        guard let progress else { return }
        let now = clock.now
        guard now >= nextProgress else { return }
        let sinceLast = (now - lastProgress.instant).seconds
        let elapsed = now - start
        progress(
            FeedProgress(
                stage: .sending, sent: sent, planned: configuration.plannedCount, elapsed: elapsed,
                recentRate: sinceLast > 0 ? Double(sent - lastProgress.sent) / sinceLast : 0,
                averageRate: elapsed.seconds > 0 ? Double(sent) / elapsed.seconds : 0))
        lastProgress = (now, sent)
        nextProgress = now.advanced(by: configuration.progressInterval)
    }
}
