/// One parsed queue entry.
public struct QueueEntry: Hashable, Sendable {
    /// The client address, exactly as written (an IPv4-mapped address is not yet unmapped).
    public let address: IPAddress
    /// When the request happened, in Unix milliseconds; nil when the producer sent no time, in which case
    /// the event counts at the moment the worker handles it.
    public let eventTimeMilliseconds: Int64?

    /// Creates an entry.
    public init(address: IPAddress, eventTimeMilliseconds: Int64? = nil) {
        self.address = address
        self.eventTimeMilliseconds = eventTimeMilliseconds
    }
}
