/// The worker's running totals `ipwatcher top` turns into rates, read from one scrape of its metrics endpoint.
///
/// Two readings give a rate; a total that went down (the worker restarted, or another worker answered) gives
/// none rather than a negative one.
public struct WorkerCounterReading: Sendable, Hashable {
    /// `ipwatcher_entries_processed_total`.
    public var entriesProcessed: Double
    /// `ipwatcher_blocks_total`.
    public var blocks: Double
    /// When it was read, Unix ms.
    public var at: Int64

    /// A reading of the given totals.
    public init(entriesProcessed: Double, blocks: Double, at: Int64) {
        self.entriesProcessed = entriesProcessed
        self.blocks = blocks
        self.at = at
    }

    /// The reading in Prometheus text taken at `at`; nil when either total is missing.
    public init?(exposition text: String, at: Int64) {
        guard let entries = Self.total(of: WorkerMetrics.Name.processed, in: text),
            let blocks = Self.total(of: WorkerMetrics.Name.blocks, in: text)
        else { return nil }
        self.init(entriesProcessed: entries, blocks: blocks, at: at)
    }

    /// The sum of every sample of metric `name` (all label sets) in Prometheus text; nil when it has none.
    public static func total(of name: String, in text: String) -> Double? {
        var sum: Double?
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let rest = line.dropFirst(name.count)
            guard rest.first == " " || rest.first == "{" else { continue }
            let fields = rest.split(separator: " ")
            // `name value` or `name{labels} value`, maybe followed by a timestamp; label values never hold
            // spaces in the worker's metrics.
            let valueField = rest.first == "{" ? fields.dropFirst().first : fields.first
            guard let valueField, let value = Double(valueField) else { continue }
            sum = (sum ?? 0) + value
        }
        return sum
    }

    /// Entries per second from `earlier` to this reading; nil when no time passed or the total went down.
    public func entriesPerSecond(since earlier: WorkerCounterReading) -> Double? {
        Self.rate(entriesProcessed - earlier.entriesProcessed, over: at - earlier.at, per: 1000)
    }

    /// Blocks per minute from `earlier` to this reading; nil when no time passed or the total went down.
    public func blocksPerMinute(since earlier: WorkerCounterReading) -> Double? {
        Self.rate(blocks - earlier.blocks, over: at - earlier.at, per: 60_000)
    }

    /// `delta` per `unit` ms over `elapsed` ms.
    private static func rate(_ delta: Double, over elapsed: Int64, per unit: Double) -> Double? {
        guard elapsed > 0, delta >= 0 else { return nil }
        return delta * unit / Double(elapsed)
    }
}
