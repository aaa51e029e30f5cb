import Detection

/// One generated request: the client address and, when the feed sends event times, when it happened.
public struct TrafficEvent: Sendable, Hashable {
    /// The client address.
    public var address: IPAddress
    /// Unix milliseconds of the request, or nil for an entry without a time.
    public var timeMilliseconds: Int64?

    /// The queue entry's text, as `ipwatcher run` parses it: the address, then a space and the time if any.
    ///
    /// Allocates a String; the feeder writes entries straight into its buffers instead.
    public var entry: String {
        timeMilliseconds.map { "\(address) \($0)" } ?? "\(address)"
    }
}
