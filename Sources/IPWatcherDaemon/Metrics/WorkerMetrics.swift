import CoreMetrics
import Detection
import class Prometheus.PrometheusCollectorRegistry
import struct Prometheus.PrometheusMetricsFactory
import Synchronization

/// One worker's metrics: swift-metrics instruments backed by a Prometheus registry of the worker's own.
///
/// Each worker gets its own registry and factory instead of swift-metrics' global `MetricsSystem`, which can be
/// bootstrapped once per process: the tests run many workers in one process, and each must count alone.
///
/// The totals are not counted twice on the hot path. The consumer keeps updating ``WorkerStatistics`` once per
/// batch as before; ``update(_:)`` — called on every scrape — adds to each counter what the totals grew by
/// since the previous call. Only what the totals cannot hold, the batch size and duration distributions, is
/// recorded as it happens, through ``recordBatch(entries:duration:)``.
public final class WorkerMetrics: Sendable {
    /// What a scrape reads from the running worker.
    public struct Readings: Sendable {
        /// The worker's running totals.
        public var statistics: WorkerStatistics.Snapshot
        /// The detection settings in force, which a reload may have changed.
        public var detection: DetectionSettings
        /// Each Redis connection by its role (`pop`, `write`).
        public var connections: [String: Connection]

        /// Creates readings.
        public init(
            statistics: WorkerStatistics.Snapshot, detection: DetectionSettings, connections: [String: Connection]
        ) {
            self.statistics = statistics
            self.detection = detection
            self.connections = connections
        }
    }

    /// One Redis client's state, as a scrape sees it.
    public struct Connection: Sendable {
        /// Whether commands go straight through now.
        public var isReady: Bool
        /// Connections established since start, the first included.
        public var connectionCount: Int
    }

    /// Roles of the worker's Redis clients: the blocking pops have a connection of their own.
    public static let connectionRoles = ["pop", "write"]

    private let registry = PrometheusCollectorRegistry()
    private let processed: CoreMetrics.Counter
    private let counted: CoreMetrics.Counter
    private let rejected: [EntryRejection: CoreMetrics.Counter]
    private let stale: CoreMetrics.Counter
    private let allowlisted: CoreMetrics.Counter
    private let blocks: CoreMetrics.Counter
    private let unblocks: CoreMetrics.Counter
    private let rangeBlocks: CoreMetrics.Counter
    private let redisErrors: CoreMetrics.Counter
    private let recovered: CoreMetrics.Counter
    private let refusals: [BatchWriteRefusal.Step: CoreMetrics.Counter]
    private let refusing: Gauge
    private let reconnects: [String: CoreMetrics.Counter]
    private let connected: [String: Gauge]
    private let queueLength: [String: Gauge]
    private let batchSize: Recorder
    private let batchDuration: CoreMetrics.Timer
    private let threshold: Gauge
    private let window: Gauge
    private let dryRun: Gauge
    private let mode: [DetectionRule.Mode: Gauge]
    /// `ipwatcher_build_info{version,commit}`: set to 1 once, at creation.
    private let buildInfo: Gauge
    /// What the counters were last brought up to, so each update adds only the growth since.
    private let applied = Mutex(Applied())
    /// Makes the per-rule instruments as rule names appear (a reload may add rules).
    private let factory: PrometheusMetricsFactory

    private struct Applied {
        var statistics = WorkerStatistics.Snapshot()
        var reconnects: [String: Int] = [:]
        var rules: [String: RuleInstruments] = [:]
    }

    /// One rule's series, labelled `rule="<name>"`.
    private struct RuleInstruments {
        let crossings: CoreMetrics.Counter
        let blocks: CoreMetrics.Counter
        let nearLimit: CoreMetrics.Counter
        let threshold: Gauge
        let window: Gauge
        let dryRun: Gauge
    }

    /// Upper bounds of the `ipwatcher_batch_size` buckets, up to the largest `queue.batch`.
    public static let batchSizeBuckets: [Double] = [1, 10, 100, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100_000]

    /// Upper bounds of the `ipwatcher_batch_duration_seconds` buckets, 0.1 ms to 10 s.
    public static let batchDurationBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    /// Creates the instruments, all at zero but `ipwatcher_build_info`, which reads 1 with `build`'s labels;
    /// `queueKeys` are the lists whose length is reported.
    public init(queueKeys: [String], build: BuildInfo = .unknown) {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets[Name.batchSize] = Self.batchSizeBuckets
        factory.durationHistogramBuckets[Name.batchDuration] = Self.batchDurationBuckets
        func counter(_ name: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Counter {
            CoreMetrics.Counter(label: name, dimensions: dimensions, factory: factory)
        }
        func gauge(_ name: String, _ dimensions: [(String, String)] = []) -> Gauge {
            Gauge(label: name, dimensions: dimensions, factory: factory)
        }
        processed = counter(Name.processed)
        counted = counter(Name.counted)
        // Every reason up front, so each series exists at 0 and rate() works from the first rejection.
        rejected = Dictionary(
            uniqueKeysWithValues: EntryRejection.allCases.map { ($0, counter(Name.rejected, [("reason", $0.rawValue)])) })
        stale = counter(Name.stale)
        allowlisted = counter(Name.allowlisted)
        blocks = counter(Name.blocks)
        unblocks = counter(Name.unblocks)
        rangeBlocks = counter(Name.rangeBlocks)
        redisErrors = counter(Name.redisErrors)
        recovered = counter(Name.recovered)
        refusals = Dictionary(
            uniqueKeysWithValues: BatchWriteRefusal.Step.allCases.map {
                ($0, counter(Name.refusals, [("step", $0.rawValue)]))
            })
        refusing = gauge(Name.refusing)
        reconnects = Dictionary(
            uniqueKeysWithValues: Self.connectionRoles.map { ($0, counter(Name.reconnects, [("connection", $0)])) })
        connected = Dictionary(
            uniqueKeysWithValues: Self.connectionRoles.map { ($0, gauge(Name.connected, [("connection", $0)])) })
        queueLength = Dictionary(
            queueKeys.map { ($0, gauge(Name.queueLength, [("key", $0)])) }, uniquingKeysWith: { first, _ in first })
        batchSize = Recorder(label: Name.batchSize, dimensions: [], aggregate: true, factory: factory)
        batchDuration = CoreMetrics.Timer(label: Name.batchDuration, dimensions: [], factory: factory)
        threshold = gauge(Name.threshold)
        window = gauge(Name.window)
        dryRun = gauge(Name.dryRun)
        mode = Dictionary(
            uniqueKeysWithValues: DetectionRule.Mode.allCases.map { ($0, gauge(Name.mode, [("mode", $0.rawValue)])) })
        buildInfo = gauge(Name.buildInfo, [("version", build.version), ("commit", build.commit)])
        buildInfo.record(1)
        self.factory = factory
    }

    private func ruleInstruments(_ name: String) -> RuleInstruments {
        let dimensions = [("rule", name)]
        return RuleInstruments(
            crossings: CoreMetrics.Counter(label: Name.ruleCrossings, dimensions: dimensions, factory: factory),
            blocks: CoreMetrics.Counter(label: Name.ruleBlocks, dimensions: dimensions, factory: factory),
            nearLimit: CoreMetrics.Counter(label: Name.ruleNearLimit, dimensions: dimensions, factory: factory),
            threshold: Gauge(label: Name.ruleThreshold, dimensions: dimensions, factory: factory),
            window: Gauge(label: Name.ruleWindow, dimensions: dimensions, factory: factory),
            dryRun: Gauge(label: Name.ruleDryRun, dimensions: dimensions, factory: factory))
    }

    /// Records one written batch: how many entries it held, and how long writing it took, retries included.
    public func recordBatch(entries: Int, duration: Duration) {
        batchSize.record(entries)
        let (seconds, attoseconds) = duration.components
        batchDuration.recordNanoseconds(seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000)
    }

    /// Sets the length of the queue list `key`; keys not named at creation are ignored.
    public func setQueueLength(_ length: Int, key: String) {
        queueLength[key]?.record(length)
    }

    /// Brings every counter and gauge up to `readings`.
    ///
    /// Counters only ever grow by what the totals grew since the previous call, under a lock, so concurrent
    /// scrapes never add the same growth twice.
    public func update(_ readings: Readings) {
        applied.withLock { applied in
            let new = readings.statistics
            let old = applied.statistics
            processed.increment(by: max(0, new.popped - old.popped))
            counted.increment(by: max(0, new.counted - old.counted))
            for (reason, counter) in rejected {
                counter.increment(by: max(0, new.rejected[reason, default: 0] - old.rejected[reason, default: 0]))
            }
            stale.increment(by: max(0, new.stale - old.stale))
            allowlisted.increment(by: max(0, new.allowlisted - old.allowlisted))
            blocks.increment(by: max(0, new.blocked - old.blocked))
            unblocks.increment(by: max(0, new.unblocked - old.unblocked))
            rangeBlocks.increment(by: max(0, new.rangesBlocked - old.rangesBlocked))
            redisErrors.increment(by: max(0, new.redisErrors - old.redisErrors))
            recovered.increment(by: max(0, new.recovered - old.recovered))
            for (step, counter) in refusals {
                counter.increment(by: max(0, new.refusals[step, default: 0] - old.refusals[step, default: 0]))
            }
            refusing.record(new.refusing == nil ? 0 : 1)
            // Every rule in force gets its series at once, at 0, so rate() works from its first crossing; a rule
            // a reload removed keeps its series, no longer growing.
            let names = Set(readings.detection.rules.map(\.name)).union(new.rules.keys)
            for name in names.sorted() {
                let instruments = applied.rules[name] ?? ruleInstruments(name)
                applied.rules[name] = instruments
                let now = new.rules[name] ?? .init()
                let before = old.rules[name] ?? .init()
                instruments.crossings.increment(by: max(0, now.crossings - before.crossings))
                instruments.blocks.increment(by: max(0, now.blocks - before.blocks))
                instruments.nearLimit.increment(by: max(0, now.nearLimit - before.nearLimit))
            }
            for rule in readings.detection.rules {
                guard let instruments = applied.rules[rule.name] else { continue }
                instruments.threshold.record(rule.threshold)
                instruments.window.record(rule.windowSeconds)
                instruments.dryRun.record(rule.dryRun ? 1 : 0)
            }
            applied.statistics = new
            for (role, connection) in readings.connections {
                connected[role]?.record(connection.isReady ? 1 : 0)
                // The first connection is not a reconnect.
                let total = max(0, connection.connectionCount - 1)
                reconnects[role]?.increment(by: max(0, total - applied.reconnects[role, default: 0]))
                applied.reconnects[role] = max(total, applied.reconnects[role, default: 0])
            }
        }
        let rule = readings.detection.unitRule
        threshold.record(rule.threshold)
        window.record(rule.windowSeconds)
        dryRun.record(readings.detection.dryRun ? 1 : 0)
        for (candidate, gauge) in mode {
            gauge.record(candidate == rule.mode ? 1 : 0)
        }
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric, each with its `# HELP` line.
    public func exposition() -> String {
        // The swift-metrics factory registers metrics without help text; adding the lines here keeps the
        // instruments on the swift-metrics API and still tells a reader of the raw text what each one means.
        var output = ""
        for line in registry.emitToString().split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE "), let name = line.dropFirst(7).split(separator: " ").first,
                let help = Self.help[String(name)]
            {
                output += "# HELP \(name) \(help)\n"
            }
            output += line
            output += "\n"
        }
        // split leaves an empty last piece after the final newline; keep exactly one newline at the end.
        while output.hasSuffix("\n\n") { output.removeLast() }
        return output
    }
}
