/// A run of generated requests, in send order, with the ground-truth unit of each.
///
/// The generator refills one chunk again and again (``TrafficGenerator/nextChunk(into:limit:timing:)``), so a
/// long feed reuses the same storage. Every unit a chunk starts has all of its requests inside that chunk,
/// except the one address of ``TrafficScenario/single(_:)``.
public struct TrafficChunk: Sendable {
    /// The requests, in the order they are to be sent.
    public internal(set) var events: [TrafficEvent] = []
    /// For each request, the index of its unit in the generator's ground truth.
    public internal(set) var unitIndices: [Int32] = []

    /// An empty chunk.
    public init() {}

    /// Requests in the chunk.
    public var count: Int { events.count }

    /// Empties the chunk, keeping its storage.
    mutating func removeAll() {
        events.removeAll(keepingCapacity: true)
        unitIndices.removeAll(keepingCapacity: true)
    }
}
