/// An async lock that lets only one lifecycle operation (stop, kill, restart) run at a time.
///
/// Those operations suspend while the child exits or starts; without the gate a `stop()` racing a `restart()`
/// could delete the directory under a freshly started server or leave a second child running.
/// Waiting is not cancellable on purpose: every holder finishes within seconds, and cleanup must not be skipped.
final class LifecycleGate: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Locked(State())

    init() {}

    /// Waits until the gate is free and takes it; pair every call with ``release()``.
    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { state in
                if state.held {
                    state.waiters.append(continuation)
                    return false
                }
                state.held = true
                return true
            }
            if acquired {
                continuation.resume()
            }
        }
    }

    /// Hands the gate to the longest waiter, or frees it.
    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.held = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }

    /// Runs `body` while holding the gate.
    func withGate<Result, Failure: Error>(
        _ body: () async throws(Failure) -> Result
    ) async throws(Failure) -> Result {
        await acquire()
        defer { release() }
        return try await body()
    }
}
