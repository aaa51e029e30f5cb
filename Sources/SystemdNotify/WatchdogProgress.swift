import Synchronization

/// Records whether the daemon made progress since the last watchdog ping.
///
/// The consumer loop calls ``progress()`` after each completed iteration (a pop that returned
/// or timed out, a batch written); the watchdog timer calls ``consumeProgress()`` every
/// ``SystemdNotifier/watchdogInterval`` and pings systemd only when it returns true. A wedged
/// loop therefore stops the pings, and systemd restarts the service once `WATCHDOG_USEC` passes.
///
/// The health endpoint reads ``timeSinceLastProgress`` instead: a flag consumed by the watchdog timer
/// cannot be shared with a second reader, but the time of the last progress can.
///
/// Shared by reference across tasks, hence a class; lock-free, so calling ``progress()`` in a
/// hot loop costs two atomic stores and a clock read.
public final class WatchdogProgress: Sendable {
    /// Set by `progress()`, cleared by `consumeProgress()`. Relaxed ordering suffices: the flag
    /// publishes no other memory, only the fact that something happened.
    private let progressed: Atomic<Bool>
    /// Nanoseconds from ``origin`` to the last `progress()`; -1 before the first.
    private let lastProgressNanoseconds: Atomic<Int64>
    /// The reference instant, since an `Instant` itself does not fit in an atomic.
    private let origin: ContinuousClock.Instant

    /// Creates a tracker with no progress recorded.
    ///
    /// Starting empty means the first ping needs a real iteration, so a loop that wedges before
    /// its first pop is caught too. The loop should therefore be running before `READY=1`, or
    /// the first blocking pop's timeout must be shorter than the ping interval.
    public init() {
        progressed = Atomic(false)
        lastProgressNanoseconds = Atomic(-1)
        origin = ContinuousClock.now
    }

    /// Records that the loop completed an iteration.
    ///
    /// Any number of calls between two ``consumeProgress()`` calls count as one.
    public func progress() {
        progressed.store(true, ordering: .relaxed)
        let elapsed = (ContinuousClock.now - origin).components
        let nanoseconds = elapsed.seconds &* 1_000_000_000 &+ elapsed.attoseconds / 1_000_000_000
        lastProgressNanoseconds.store(nanoseconds, ordering: .relaxed)
    }

    /// How long ago ``progress()`` was last called; nil if it never was.
    ///
    /// Unlike ``consumeProgress()`` this reads without resetting, so any number of observers (a health
    /// check, metrics) can ask alongside the watchdog timer.
    public var timeSinceLastProgress: Duration? {
        let last = lastProgressNanoseconds.load(ordering: .relaxed)
        guard last >= 0 else { return nil }
        return (ContinuousClock.now - origin) - .nanoseconds(last)
    }

    /// Returns whether ``progress()`` was called since the previous call, and resets.
    ///
    /// The check and the reset are one atomic exchange, so a `progress()` racing with it is
    /// either counted now or left for the next call, never lost.
    public func consumeProgress() -> Bool {
        progressed.exchange(false, ordering: .relaxed)
    }
}
