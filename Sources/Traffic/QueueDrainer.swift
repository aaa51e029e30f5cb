import Detection
import RESP
import RedisClient

/// Waits for the worker to empty the queue, by polling `LLEN` of the queue list or of every shard, summed.
///
/// An empty list is not yet a finished worker: it pops a batch and then counts and blocks, and `LLEN` can be
/// 0 for a moment between two pushes of a slow feed. So the list must read 0 on ``stablePolls`` polls in a
/// row; callers add a short grace after that for the last batch's blocks.
public struct QueueDrainer: Sendable {
    /// The list to watch, or the base name of its shards.
    public var queueKey: String
    /// How many shards the queue has (`queue.shards`); with more than one, their lengths are summed.
    public var shards: Int = 1
    /// How long to wait at most.
    public var timeout: Duration
    /// Time between polls.
    public var pollInterval: Duration = .milliseconds(50)
    /// Consecutive empty polls that count as drained.
    public var stablePolls: Int = 3

    /// Creates a drainer for `queueKey` that gives up after `timeout`.
    public init(queueKey: String, timeout: Duration) {
        self.queueKey = queueKey
        self.timeout = timeout
    }

    /// Polls until the queue is empty and stable or the timeout passes; `onPoll` hears each length.
    public func wait(
        on redis: some RedisCommandExecutor, onPoll: ((Int) -> Void)? = nil
    ) async throws -> DrainResult {
        let shards = QueueShards(baseKey: queueKey, count: max(self.shards, 1))
        return try await wait(polling: { try await redis.queueLength(of: shards) }, onPoll: onPoll)
    }

    /// Polls `length` until it reads 0 on ``stablePolls`` polls in a row or the timeout passes.
    func wait(
        polling length: () async throws -> Int, onPoll: ((Int) -> Void)?
    ) async throws -> DrainResult {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start.advanced(by: timeout)
        var emptyPolls = 0
        var remaining = 0
        while true {
            remaining = try await length()
            onPoll?(remaining)
            emptyPolls = remaining == 0 ? emptyPolls + 1 : 0
            if emptyPolls >= max(stablePolls, 1) {
                return DrainResult(drained: true, remaining: 0, waitedSeconds: (clock.now - start).seconds)
            }
            if clock.now >= deadline {
                return DrainResult(drained: false, remaining: remaining, waitedSeconds: (clock.now - start).seconds)
            }
            try await Task.sleep(for: pollInterval)
        }
    }
}
