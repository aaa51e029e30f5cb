/// Bounds that keep a broken or hostile server from making the parser allocate without limit or recurse deeply.
///
/// A reply that declares more than these limits fails with a ``RESPParsingError`` as soon as its header is read,
/// before any of its payload is buffered.
public struct RESPParserLimits: Sendable, Hashable {
    /// Largest bulk string, bulk error or verbatim string payload, in bytes (Redis's own `proto-max-bulk-len` default is 512 MiB).
    public var maxBulkLength: Int
    /// Largest number of elements one aggregate may declare (a map counts keys and values).
    public var maxAggregateCount: Int
    /// Deepest nesting of aggregates.
    public var maxDepth: Int
    /// Longest simple string, simple error, number or header line, CRLF excluded.
    public var maxLineLength: Int

    /// Creates limits; the defaults accept everything a Redis server sends to ipwatcher with a wide margin.
    public init(
        maxBulkLength: Int = 512 * 1024 * 1024,
        maxAggregateCount: Int = 16 * 1024 * 1024,
        maxDepth: Int = 32,
        maxLineLength: Int = 64 * 1024
    ) {
        self.maxBulkLength = maxBulkLength
        self.maxAggregateCount = maxAggregateCount
        self.maxDepth = maxDepth
        self.maxLineLength = maxLineLength
    }
}
