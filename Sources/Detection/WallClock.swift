#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real-time clock in Unix milliseconds: the timeline queue entries' event times, the worker's windows and
/// the feed's stamps share.
///
/// The one reading of the outside world in this target: ``EventClock`` and the windows take the time as a
/// value, so they stay pure and testable; the worker, the feeder and the CLI read it here.
public struct WallClock: Sendable {
    /// Creates a clock reading the system's real-time clock.
    public init() {}

    /// Milliseconds since the Unix epoch, now.
    public func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
