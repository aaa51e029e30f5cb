import Detection
import Logging
import RESP
import RedisClient
import ServiceLifecycle
import Synchronization

/// Takes one client address per request and pushes them to the worker's queue in batches; recording never waits.
///
/// ``record(_:)`` appends the address and the time (`addr epoch_ms`, so the worker counts the request in the
/// window it happened in) to a bounded in-memory buffer under a lock held for an append. ``run()``, the
/// recorder's long-running work, flushes the buffer every ``Settings/flushInterval`` as multi-value `LPUSH`es of
/// at most ``Settings/batchSize`` entries, one per queue shard as the worker's `queue.shards` splits the queue,
/// in one pipeline (split by node on a cluster).
///
/// Redis away: a failed flush puts its entries back in front of the buffer and the next tick tries again. Once
/// the buffer holds ``Settings/capacity`` entries, newer addresses are dropped and counted
/// (``Statistics/dropped``) — a request is never held up or failed for the sake of counting it — and recording
/// resumes by itself when Redis is back. Entries of a flush whose reply was lost may have reached Redis and
/// are pushed again: the worker then counts them twice, the same at-least-once trade as its own delivery.
///
/// The router's `run()` must be running (in the same service group) for flushes to connect.
public final class AddressRecorder: Sendable {
    /// Where and how the addresses go.
    public struct Settings: Sendable, Hashable {
        /// The worker's queue: `queue.key` and `queue.shards`.
        public var queue: QueueShards
        /// Entries per `LPUSH` at most.
        public var batchSize: Int
        /// Time between flushes: the longest an address waits in the buffer while Redis is up.
        public var flushInterval: Duration
        /// Entries the buffer holds at most; beyond that addresses are dropped and counted.
        public var capacity: Int

        /// Settings for `queue`; the defaults are measured in BENCHMARKS.md (*Web tier*).
        public init(
            queue: QueueShards = QueueShards(baseKey: "ips", count: 1), batchSize: Int = 500,
            flushInterval: Duration = .milliseconds(5), capacity: Int = 200_000
        ) {
            self.queue = queue
            self.batchSize = max(1, batchSize)
            self.flushInterval = flushInterval
            self.capacity = max(1, capacity)
        }
    }

    /// Totals since the recorder was made.
    public struct Statistics: Sendable, Hashable {
        /// Addresses taken into the buffer.
        public var recorded = 0
        /// Addresses Redis acknowledged.
        public var pushed = 0
        /// Addresses dropped because the buffer was full.
        public var dropped = 0
        /// Flushes that failed (Redis away or refusing); their entries were kept.
        public var failedFlushes = 0
        /// Addresses waiting in the buffer now.
        public var buffered = 0
    }

    /// One request to push.
    private struct Entry {
        var address: IPAddress
        var milliseconds: Int64
    }

    private struct State {
        var buffer: [Entry] = []
        var statistics = Statistics()
        /// Flushes that took entries from the buffer and have not yet counted or given them back.
        var flushesInFlight = 0
        /// Flushes waiting for those to settle.
        var waitingForFlushes: [CheckedContinuation<Void, Never>] = []
    }

    /// The settings in use.
    public let settings: Settings
    private let router: RedisRouter
    private let clock: WallClock
    private let logger: Logger
    private let state = Mutex(State())

    /// A recorder pushing through `router` (whose `run()` the caller runs).
    public init(
        router: RedisRouter, settings: Settings = Settings(), clock: WallClock = WallClock(),
        logger: Logger = Logger(label: "ipwatcher.web.recorder")
    ) {
        self.router = router
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    /// Records a request from `address`, now.
    public func record(_ address: IPAddress) {
        record(address, atMilliseconds: clock.nowMilliseconds())
    }

    /// Records a request from `address` that happened at `milliseconds` (Unix time).
    public func record(_ address: IPAddress, atMilliseconds milliseconds: Int64) {
        let capacity = settings.capacity
        state.withLock { state in
            guard state.buffer.count < capacity else {
                state.statistics.dropped += 1
                return
            }
            state.buffer.append(Entry(address: address, milliseconds: milliseconds))
            state.statistics.recorded += 1
        }
    }

    /// The totals so far.
    public var statistics: Statistics {
        state.withLock { state in
            var statistics = state.statistics
            statistics.buffered = state.buffer.count
            return statistics
        }
    }

    /// Flushes every ``Settings/flushInterval`` until graceful shutdown (swift-service-lifecycle) or cancellation.
    ///
    /// After a graceful shutdown it flushes once more, so what the buffer holds goes out; the router must still be
    /// running then, and the flush waits for its connection at most the command timeout. A cancelled task cannot
    /// wait for a reply, so cancellation ends without that flush: a flush whose reply it abandoned would be pushed
    /// twice.
    public func run() async {
        await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: settings.flushInterval)
                } catch {
                    break
                }
                await flush()
            }
        }
        if !Task.isCancelled { await flush() }
    }

    /// Pushes what the buffer holds now and returns once every address recorded before the call has been
    /// acknowledged by Redis or put back; returns whether Redis took them all (true when there was nothing).
    ///
    /// A flush started by ``run()`` may hold entries recorded before this call: this one waits for it to settle
    /// too, so that after `flush()` the statistics and the queue agree with what was recorded.
    @discardableResult
    public func flush() async -> Bool {
        let (batch, failuresBefore) = state.withLock { state -> ([Entry], Int) in
            let taken = state.buffer
            state.buffer.removeAll(keepingCapacity: true)
            state.flushesInFlight += 1
            return (taken, state.statistics.failedFlushes)
        }
        var pushed = true
        if !batch.isEmpty {
            do {
                for reply in try await router.pipeline(commands(for: batch)) { _ = try reply.throwingServerError() }
                state.withLock { $0.statistics.pushed += batch.count }
            } catch {
                giveBack(batch)
                logger.debug(
                    "recorder flush failed; entries kept", metadata: ["entries": "\(batch.count)", "error": "\(error)"])
                pushed = false
            }
        }
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.flushesInFlight -= 1
            guard state.flushesInFlight == 0 else { return [] }
            defer { state.waitingForFlushes.removeAll() }
            return state.waitingForFlushes
        }
        for continuation in waiting { continuation.resume() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let settled = state.withLock { state in
                if state.flushesInFlight == 0 { return true }
                state.waitingForFlushes.append(continuation)
                return false
            }
            if settled { continuation.resume() }
        }
        return pushed && state.withLock { $0.statistics.failedFlushes } == failuresBefore
    }

    /// The `LPUSH`es for `batch`: per shard, at most ``Settings/batchSize`` entries each.
    private func commands(for batch: [Entry]) -> [RedisRoutedCommand] {
        var buffers = ShardedEntryBuffers(shards: settings.queue)
        // Read apart from `buffers`: `emit` runs while `drain` has it borrowed.
        let keys = buffers.keys
        var commands: [RedisRoutedCommand] = []
        let batchSize = settings.batchSize
        func emit(_ shard: Int, _ entries: EncodedEntries) {
            let key = keys[shard]
            commands.append(RedisRoutedCommand(RESPCommand("LPUSH", key, entries), key: key))
        }
        for entry in batch {
            let shard = buffers.append(address: entry.address, timeMilliseconds: entry.milliseconds)
            if buffers.counts[shard] >= batchSize { buffers.drain(shard: shard) { emit(shard, $0) } }
        }
        for shard in 0..<settings.queue.count { buffers.drain(shard: shard) { emit(shard, $0) } }
        return commands
    }

    /// Puts a failed flush's entries back in front of newer ones, keeping the buffer within its capacity; what
    /// does not fit (the oldest) is dropped and counted.
    private func giveBack(_ batch: [Entry]) {
        let capacity = settings.capacity
        state.withLock { state in
            state.statistics.failedFlushes += 1
            let room = max(0, capacity - state.buffer.count)
            let kept = batch.suffix(room)
            state.statistics.dropped += batch.count - kept.count
            state.buffer.insert(contentsOf: kept, at: 0)
        }
    }
}
