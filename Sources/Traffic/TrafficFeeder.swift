import Logging
import NIOCore
import RESP
import RedisClient

/// Sends a scenario's requests to the queue list as fast as Redis takes them, or at a steady rate.
///
/// Entries are written straight from the generated requests into reused buffers as multi-value
/// `LPUSH key e1 … e500` commands, several commands to a pipeline and several pipelines awaiting replies at
/// once on one connection, so one process offers well over a million entries a second to a local Redis. A
/// paced feed sends, every ``FeedConfiguration/pacingSlice``, the requests whose time has come, and stamps
/// each with that time; see ``TrafficGenerator`` for what the requests are.
public struct TrafficFeeder: Sendable {
    /// Where Redis is.
    public let endpoint: RedisEndpoint
    /// What to send.
    public let configuration: FeedConfiguration
    /// Timeouts and client name of the feeder's connection.
    public var connectionConfiguration: RedisConnectionConfiguration
    /// Where connection messages go.
    public var logger: Logger

    /// Creates a feeder; nothing connects until ``run(recorder:progress:)``.
    public init(
        endpoint: RedisEndpoint, configuration: FeedConfiguration,
        connectionConfiguration: RedisConnectionConfiguration = RedisConnectionConfiguration(clientName: "ipwatcher-feed"),
        logger: Logger = Logger(label: "ipwatcher.feed")
    ) {
        self.endpoint = endpoint
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
    public func run(
        recorder: BlockEventRecorder? = nil, crossings: ThresholdCrossingLog? = nil,
        progress: (@Sendable (FeedProgress) -> Void)? = nil
    ) async throws -> FeedSummary {
        if let problem = configuration.validate() { throw FeedError.invalidConfiguration(problem) }
        let connection = try await RedisConnection.connect(
            to: endpoint, configuration: connectionConfiguration, logger: logger)
        do {
            var loop = FeedLoop(
                configuration: configuration, connection: connection, recorder: recorder, crossings: crossings,
                progress: progress,
                reconnect: FeedReconnector(
                    endpoint: endpoint, configuration: connectionConfiguration, logger: logger))
            do {
                let summary = try await loop.run()
                await loop.connection.close()
                return summary
            } catch {
                await loop.connection.closeNow()
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
    /// Replaced when the connection is lost.
    var connection: RedisConnection
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
    let clock = ContinuousClock()
    let wallClock = UnixClock()
    var start: ContinuousClock.Instant
    var startMilliseconds: Int64 = 0
    var nextProgress: ContinuousClock.Instant
    var lastProgress: (instant: ContinuousClock.Instant, sent: Int)

    typealias Completion = (encoder: RESPCommandEncoder, entries: Int)

    init(
        configuration: FeedConfiguration, connection: RedisConnection, recorder: BlockEventRecorder?,
        crossings: ThresholdCrossingLog?, progress: (@Sendable (FeedProgress) -> Void)?, reconnect: FeedReconnector
    ) {
        self.configuration = configuration
        self.connection = connection
        self.reconnect = reconnect
        self.recorder = recorder
        self.crossings = crossings
        self.progress = progress
        self.generator = TrafficGenerator(
            scenario: configuration.scenario, rule: configuration.rule, seed: configuration.seed,
            timed: configuration.sendsEventTimes)
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
                let encoded = encodePipeline(upTo: allowance, planned: planned)
                guard encoded.entries > 0 else { break }
                while inFlight >= configuration.pipelinesInFlight { try await reap(&group) }
                stampCrossings()
                send(encoded.encoder, entries: encoded.entries, in: &group)
                sent += encoded.entries
                commands += encoded.encoder.commandCount
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

    /// Sends one pipeline from a child task.
    ///
    /// On the connection's event loop, whose jobs run in the order they were enqueued: the pipelines reach the
    /// socket in the order they were built, so the list holds the requests in generation order, and no thread
    /// hop sits between a reply and the next write. A failure carries the pipeline, so it can be sent again.
    private mutating func send(
        _ encoder: RESPCommandEncoder, entries count: Int, in group: inout ThrowingTaskGroup<Completion, any Error>
    ) {
        let connection = self.connection
        group.addTask(executorPreference: connection.taskExecutor) {
            let replies: [RESPToken]
            do {
                replies = try await connection.pipeline(encoder)
            } catch {
                throw UnansweredPipeline(encoder: encoder, entries: count, error: error)
            }
            for reply in replies {
                if let error = reply.serverError, error.isTransient {
                    // Not run (Redis is still loading its data, say): the whole pipeline goes again.
                    throw UnansweredPipeline(encoder: encoder, entries: count, error: RedisError.server(error))
                }
                let value = try reply.throwingServerError()
                guard value.int != nil else {
                    throw RedisError.unexpectedReply(command: "LPUSH", reply: "\(value)")
                }
            }
            return (encoder, count)
        }
        inFlight += 1
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
    /// ``FeedConfiguration/entriesPerCommand`` entries, recording them as sent.
    private mutating func encodePipeline(upTo limit: Int, planned: Int?) -> Completion {
        var encoder = spareEncoders.popLast() ?? RESPCommandEncoder()
        encoder.reset()
        var count = 0
        while count < limit {
            if chunkPosition == chunk.count {
                refillChunk(alreadyEncoded: count, planned: planned)
                if chunk.count == 0 { break }
            }
            let take = min(configuration.entriesPerCommand, limit - count, chunk.count - chunkPosition)
            let range = chunkPosition..<(chunkPosition + take)
            entries.clear()
            chunk.events.withUnsafeBufferPointer { events in
                for index in range { QueueEntryWriter.write(events[index], to: &entries) }
            }
            encoder.encode("LPUSH", configuration.queueKey, EncodedEntries(bytes: entries, count: take))
            if let crossings {
                generator.recordSent(chunk, range: range, reaching: crossings.threshold, into: &crossedUnits)
            } else {
                generator.recordSent(chunk, range: range)
            }
            chunkPosition += take
            count += take
        }
        return (encoder, count)
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

    /// Waits for one pipeline's replies and takes its encoder back for reuse.
    /// Waits for one pipeline's reply. When the connection was lost, waits for every other pipeline in flight
    /// (all on that connection), reconnects, and sends the unanswered ones again.
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
        reconnect.logger.warning(
            "lost the Redis connection; reconnecting and sending the unanswered pipelines again",
            metadata: ["error": "\(unanswered[0].error)", "entries": "\(unanswered.reduce(0) { $0 + $1.entries })"])
        if consecutiveLosses > 1 {
            // Redis answers but refuses (still loading): back off as between failed connects.
            try await Task.sleep(for: reconnect.configuration.backoff.delay(attempt: consecutiveLosses - 1))
        }
        connection = try await reconnect.connection(replacing: connection)
        reconnects += 1
        for pipeline in unanswered {
            resent += pipeline.entries
            send(pipeline.encoder, entries: pipeline.entries, in: &group)
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
            spareEncoders.append(completion.encoder)
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
