import NIOCore

/// The commands waiting for something their client has not got yet — a connection, a Redis Cluster slot map —
/// each with its own deadline and cancellation.
///
/// A plain value kept under its owner's lock, so that looking at the owner's state and joining the queue are one
/// locked step: nothing can be published between them unseen. ``wait(on:timeout:join:leave:timedOut:)`` is the
/// one place that schedules a waiter's timeout and handles its cancellation; ``RedisServerClient/connection()`` and the
/// cluster client's wait for its slot map both use it.
struct RedisWaiters<Value: Sendable>: Sendable {
    /// What a waiter found when it tried to join.
    enum Joined {
        /// The owner could answer at once: no wait.
        case ready(Result<Value, any Error>)
        /// The waiter joined under this id and waits to be completed, removed or timed out.
        case waiting(UInt64)
    }

    private var promises: [UInt64: EventLoopPromise<Value>] = [:]
    private var nextID: UInt64 = 0

    /// Creates an empty queue.
    init() {}

    /// How many are waiting.
    var count: Int { promises.count }

    /// Adds `promise` and returns the id that ``remove(_:)`` takes.
    mutating func add(_ promise: EventLoopPromise<Value>) -> UInt64 {
        nextID += 1
        promises[nextID] = promise
        return nextID
    }

    /// Removes the waiter `id`; nil when it was completed, timed out or cancelled already.
    mutating func remove(_ id: UInt64) -> EventLoopPromise<Value>? {
        promises.removeValue(forKey: id)
    }

    /// Removes every waiter, for the owner to complete outside its lock (a promise's callbacks may run at once).
    mutating func removeAll() -> [EventLoopPromise<Value>] {
        let all = Array(promises.values)
        promises.removeAll()
        return all
    }

    /// Waits until the owner completes the promise that `join` added, at most `timeout`.
    ///
    /// Call it after a look at the owner's state found nothing to return at once: the promise it makes is for
    /// waiting. `join` runs under the owner's lock: it answers at once (``Joined/ready(_:)``) or adds the promise
    /// to the owner's waiters. `leave` removes a waiter under that lock and returns it if it still waited; on timeout it
    /// fails with `timedOut()`, on cancellation of the calling task with `CancellationError`. Whoever removes a
    /// waiter first completes it, so each is completed exactly once.
    static func wait(
        on eventLoop: any EventLoop, timeout: Duration,
        join: (EventLoopPromise<Value>) -> Joined,
        leave: @escaping @Sendable (UInt64) -> EventLoopPromise<Value>?,
        timedOut: @escaping @Sendable () -> any Error
    ) async throws -> Value {
        let promise = eventLoop.makePromise(of: Value.self)
        let id: UInt64
        switch join(promise) {
        case .ready(let result):
            promise.completeWith(result)
            return try result.get()
        case .waiting(let joined):
            id = joined
        }
        let deadline = eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            leave(id)?.fail(timedOut())
        }
        defer { deadline.cancel() }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            leave(id)?.fail(CancellationError())
        }
    }
}
