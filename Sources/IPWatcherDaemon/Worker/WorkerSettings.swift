import Detection

/// Everything the worker loop needs to know, in the types it works with.
///
/// Built from the configuration file, environment and flags (see `IPWatcherConfiguration`), or directly by
/// tests and the demo.
public struct WorkerSettings: Sendable, Hashable {
    /// Which end of the queue list the worker pops from; see ``IPWatcherConfiguration/Queue-swift.struct/PopSide``.
    public typealias PopSide = IPWatcherConfiguration.Queue.PopSide

    /// What a crash of the worker may cost; see ``IPWatcherConfiguration/Queue-swift.struct/Delivery``.
    public typealias Delivery = IPWatcherConfiguration.Queue.Delivery

    /// The list producers push to.
    public var queueKey: String = "ips"
    /// Which end to pop.
    public var popSide: PopSide = .left
    /// At-least-once keeps each popped batch in a processing hash until it is written; at-most-once pops plainly.
    public var delivery: Delivery = .atLeastOnce
    /// Names the worker's processing hash; see ``WorkerID``.
    public var workerID: String = WorkerID.defaultID(queueKey: "ips", keyPrefix: KeySchema().prefix)
    /// How many lists the queue is split into; see ``Detection/QueueShards``.
    public var queueShards: Int = 1
    /// Whether Redis is a cluster, so keys that a script or transaction touches together carry one hash tag
    /// (see ``bansKey`` and ``processingKey(shardKey:)``).
    public var clusterKeys = false
    /// `EVALSHA` or `FCALL` of ``IPWatcherFunctions/library``.
    public var scripts: IPWatcherConfiguration.Redis.Scripts = .eval
    /// How long a worker's lease lasts without renewal; nil: no leases, no takeover. See ``WorkerLease``.
    public var lease: Duration? = .seconds(30)
    /// Most entries handled as one batch.
    public var batchSize: Int = 10_000
    /// How long one blocking pop waits on an empty queue; bounds how quickly shutdown and reloads are noticed.
    public var blockTimeout: Duration = .seconds(1)
    /// A capped list that keeps copies of rejected entries; nil keeps none.
    public var rejectedKey: String?
    /// Cap of ``rejectedKey``.
    public var rejectedMax: Int = 10_000
    /// Names of the worker's own keys.
    public var keys = KeySchema()
    /// The set the web tier checks with `SISMEMBER`.
    public var blocklistKey: String = "blocklist"
    /// When a whole range is banned (`blocklist.ranges`); off by default. Not reloaded on `SIGHUP`: the ban
    /// expiry service must know from the start whether to lift range bans.
    public var ranges = RangeBanPolicy()
    /// The set of banned ranges (`blocklist.ranges.key`), used while ``ranges`` is on.
    public var rangesKey: String = "blocklist:ranges"
    /// Pub/sub channel for block events; nil publishes nothing.
    public var eventsChannel: String? = "ipwatcher:events"
    /// The settings a reload may change.
    public var detection = DetectionSettings()
    /// Where `/metrics` and `/healthz` are served; nil serves nothing. Nil here, unlike the configuration's
    /// `127.0.0.1:9464`, so that workers built in code (tests, the demo) never contend for one port.
    public var metricsListen: MetricsListenAddress?
    /// What clients of the metrics endpoint may hold; `metrics.max_connections` sets the connection cap.
    public var metricsLimits = MetricsConnectionLimits.productDefault

    /// Creates settings with the product's defaults.
    public init() {}
}
