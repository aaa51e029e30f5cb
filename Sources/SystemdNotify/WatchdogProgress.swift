import Synchronization

/// Records whether the daemon made progress since the last watchdog ping.
///
/// The consumer loop calls ``progress()`` after each completed iteration (a pop that returned
/// or timed out, a batch written); the watchdog timer calls ``consumeProgress()`` every
/// ``SystemdNotifier/watchdogInterval`` and pings systemd only when it returns true. A wedged
/// loop therefore stops the pings, and systemd restarts the service once `WATCHDOG_USEC` passes.
///
/// Shared by reference across tasks, hence a class; lock-free, so calling ``progress()`` in a
/// hot loop costs one atomic store.
public final class WatchdogProgress: Sendable {
    /// Set by `progress()`, cleared by `consumeProgress()`. Relaxed ordering suffices: the flag
    /// publishes no other memory, only the fact that something happened.
    private let progressed: Atomic<Bool>

    /// Creates a tracker with no progress recorded.
    ///
    /// Starting empty means the first ping needs a real iteration, so a loop that wedges before
    /// its first pop is caught too. The loop should therefore be running before `READY=1`, or
    /// the first blocking pop's timeout must be shorter than the ping interval.
    public init() {
        progressed = Atomic(false)
    }

    /// Records that the loop completed an iteration.
    ///
    /// Any number of calls between two ``consumeProgress()`` calls count as one.
    public func progress() {
        progressed.store(true, ordering: .relaxed)
    }

    /// Returns whether ``progress()`` was called since the previous call, and resets.
    ///
    /// The check and the reset are one atomic exchange, so a `progress()` racing with it is
    /// either counted now or left for the next call, never lost.
    public func consumeProgress() -> Bool {
        progressed.exchange(false, ordering: .relaxed)
    }
}
