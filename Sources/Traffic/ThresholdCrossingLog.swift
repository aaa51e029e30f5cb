import Synchronization

/// Records, for each unit, when a feed sent the request that brought the unit's count to the threshold: the
/// request from which a worker should block it.
///
/// The feeder stamps a crossing just before it hands the pipeline holding that request to the connection
/// (see ``TrafficFeeder/run(recorder:crossings:progress:)``), on the monotonic clock and on the wall clock.
/// A unit's sent count only grows, so each unit crosses at most once per feed. `ipwatcher bench` subtracts
/// the stamp from the arrival of the unit's block event to get the detection latency.
///
/// The count is the unit's requests in the whole feed; a worker counting per fixed window sees the same
/// number as long as no window boundary falls inside the unit's burst, which is why each crossing also
/// carries its wall-clock time.
public final class ThresholdCrossingLog: Sendable {
    /// One unit's threshold-crossing request.
    public struct Crossing: Sendable, Hashable {
        /// The unit's canonical name, as in the blocklist and in block events.
        public var unit: String
        /// When the request's pipeline was handed to the connection.
        public var sentAt: ContinuousClock.Instant
        /// The same moment in Unix milliseconds, for placing it among fixed windows.
        public var unixMilliseconds: Int64
    }

    /// The count whose request is recorded: the rule's threshold.
    public let threshold: Int
    private let crossings = Mutex<[Crossing]>([])

    /// Creates an empty log for `threshold`.
    public init(threshold: Int) {
        self.threshold = threshold
    }

    /// Every crossing so far, in send order.
    public var all: [Crossing] { crossings.withLock { $0 } }

    /// Adds crossings of `units`, all sent in one pipeline at `sentAt`.
    func record(units: [String], sentAt: ContinuousClock.Instant, unixMilliseconds: Int64) {
        crossings.withLock { list in
            for unit in units { list.append(Crossing(unit: unit, sentAt: sentAt, unixMilliseconds: unixMilliseconds)) }
        }
    }
}
