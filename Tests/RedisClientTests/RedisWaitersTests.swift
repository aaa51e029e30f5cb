import NIOCore
import NIOPosix
@testable import RedisClient
import Synchronization
import Testing

/// The one wait for something a client has not got yet (a connection, a slot map), driven without a network: an
/// owner that publishes a value, fails its waiters or shuts down by hand.
@Suite("Waiting for a connection or a slot map", .timeLimit(.minutes(1)))
struct RedisWaitersTests {
    /// What a client keeps under its lock: the value once there is one, and who waits for it.
    final class Owner: Sendable {
        struct State {
            var value: Int?
            var waiters = RedisWaiters<Int>()
        }

        let state = Mutex(State())

        struct TimedOut: Error {}

        /// ``RedisWaiters/wait(on:timeout:join:leave:timedOut:)`` as the clients call it.
        func wait(timeout: Duration) async throws -> Int {
            try await RedisWaiters.wait(
                on: MultiThreadedEventLoopGroup.singleton.any(), timeout: timeout,
                join: { promise in
                    state.withLock { state in
                        if let value = state.value { return .ready(.success(value)) }
                        return .waiting(state.waiters.add(promise))
                    }
                },
                leave: { [self] id in state.withLock { $0.waiters.remove(id) } },
                timedOut: { TimedOut() })
        }

        func publish(_ value: Int) {
            let waiters = state.withLock { state in
                state.value = value
                return state.waiters.removeAll()
            }
            for promise in waiters { promise.succeed(value) }
        }

        func shutDown() {
            let waiters = state.withLock { $0.waiters.removeAll() }
            for promise in waiters { promise.fail(RedisError.shutdown) }
        }

        var waiting: Int { state.withLock { $0.waiters.count } }

        /// Returns once `count` waiters have joined.
        func waitUntilWaiting(_ count: Int) async throws {
            while waiting < count { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    @Test("every waiter gets the value the owner publishes, and the queue is empty afterwards")
    func publishedValueReachesEveryWaiter() async throws {
        let owner = Owner()
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<3 { group.addTask { try await owner.wait(timeout: .seconds(30)) } }
            try await owner.waitUntilWaiting(3)
            owner.publish(7)
            var values: [Int] = []
            for try await value in group { values.append(value) }
            #expect(values == [7, 7, 7])
        }
        #expect(owner.waiting == 0)
    }

    @Test("a value already there is returned without joining the queue")
    func readyValueNeedsNoWait() async throws {
        let owner = Owner()
        owner.publish(3)
        #expect(try await owner.wait(timeout: .seconds(30)) == 3)
        #expect(owner.waiting == 0)
    }

    @Test("a waiter nobody completes fails with the owner's timeout error and leaves the queue")
    func timeoutFailsAndLeaves() async throws {
        let owner = Owner()
        let started = ContinuousClock.now
        await #expect(throws: Owner.TimedOut.self) { try await owner.wait(timeout: .milliseconds(50)) }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(50) && elapsed < .seconds(20), "\(elapsed)")
        #expect(owner.waiting == 0)
        // A value published after the timeout is no business of the timed-out waiter's.
        owner.publish(1)
    }

    @Test("cancelling the waiting task fails it with CancellationError at once and removes it")
    func cancellationFailsAndLeaves() async throws {
        let owner = Owner()
        let task = Task { try await owner.wait(timeout: .seconds(30)) }
        try await owner.waitUntilWaiting(1)
        let started = ContinuousClock.now
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(owner.waiting == 0)
    }

    @Test("a shutdown fails every waiter with its error long before the timeout")
    func shutdownFailsEveryWaiter() async throws {
        let owner = Owner()
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    let error = await #expect(throws: RedisError.self) { try await owner.wait(timeout: .seconds(30)) }
                    #expect(error?.kind == "shutdown", "\(String(describing: error))")
                }
            }
            try await owner.waitUntilWaiting(2)
            owner.shutDown()
            try await group.waitForAll()
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(owner.waiting == 0)
    }
}
