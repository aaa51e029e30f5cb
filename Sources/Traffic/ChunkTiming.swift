/// The event times of one chunk: the first request's time and the spacing of the rest.
///
/// A paced feed passes the scheduled send time of the chunk's first request and `1000 / rate` ms per
/// request, so each request's time is when it is sent; an unpaced feed passes the clock and a spacing of
/// zero, since it sends a chunk within a millisecond or so.
public struct ChunkTiming: Sendable, Hashable {
    /// Unix milliseconds of the chunk's first request.
    public var startMilliseconds: Int64
    /// Milliseconds between consecutive requests of the chunk; 0 puts them all at the start.
    public var millisecondsPerRequest: Double

    /// Creates a timing.
    public init(startMilliseconds: Int64, millisecondsPerRequest: Double = 0) {
        self.startMilliseconds = startMilliseconds
        self.millisecondsPerRequest = max(millisecondsPerRequest, 0)
    }

    /// The time of the chunk's request number `index`.
    @inline(__always)
    func time(ofRequest index: Int) -> Int64 {
        startMilliseconds + Int64(Double(index) * millisecondsPerRequest)
    }
}
