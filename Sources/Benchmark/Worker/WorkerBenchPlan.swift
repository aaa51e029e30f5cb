import Detection
import IPWatcherDaemon
import Traffic

/// What one `ipwatcher bench` run does, with the defaults and `--short` resolved, and the names it uses.
///
/// Every key and channel lives under ``namespace``: the queue, the blocklist, the events channel and the
/// worker's own keys, so that with `--url` the benchmark never touches anything but its own keys.
public struct WorkerBenchPlan: Sendable, Hashable {
    /// Prefix of every key and channel the benchmark and its workers use.
    static let namespace = "ipwatcher:bench:"

    /// Entries pre-filled before each drain.
    public var entries: Int
    /// Requests per second offered in the latency run.
    public var latencyRate: Double
    /// Length of the latency run's feed, seconds.
    public var latencySeconds: Double
    /// How often the latency run's paced feed sends what is due, milliseconds (`FeedConfiguration.pacingSlice`).
    public var pacingMilliseconds: Double
    /// Seed of the drains' traffic.
    public var seed: UInt64
    /// The drains' traffic: `mixed` (the default), `interleaved` or `distinct` (see ``TrafficScenario``).
    public var traffic: TrafficScenario = .mixed
    /// The worker's `queue.batch`; nil keeps its default.
    public var batch: Int?
    /// The worker's `queue.delivery`.
    public var delivery: WorkerSettings.Delivery = WorkerSettings().delivery
    /// Hashes per window of the bucketed fixed drain; nil sizes them for the traffic's units
    /// (``Detection/CounterLayout/bucketCount(forUnits:)``).
    public var buckets: Int?
    /// Requests of the `redis-benchmark -P 64 -t incr` run.
    public var redisBenchmarkRequests: Int
    /// Clients of the `redis-benchmark` run.
    var redisBenchmarkClients: Int = 50
    /// Pipeline depth of the `redis-benchmark` run.
    var redisBenchmarkPipeline: Int = 64
    /// Whether this is the `--short` smoke run.
    public var short: Bool
    /// The rules of `--config`; empty: the product's one default rule. Each drain runs them with every rule's mode
    /// set to the drain's.
    public var rules: [IPWatcherConfiguration.Rule] = []

    /// A plan with these sizes; redis-benchmark's clients and pipeline keep their defaults (50, 64).
    public init(
        entries: Int, latencyRate: Double, latencySeconds: Double, pacingMilliseconds: Double, seed: UInt64,
        batch: Int?, delivery: WorkerSettings.Delivery, redisBenchmarkRequests: Int, short: Bool,
        traffic: TrafficScenario = .mixed
    ) {
        self.traffic = traffic
        self.entries = entries
        self.latencyRate = latencyRate
        self.latencySeconds = latencySeconds
        self.pacingMilliseconds = pacingMilliseconds
        self.seed = seed
        self.batch = batch
        self.delivery = delivery
        self.redisBenchmarkRequests = redisBenchmarkRequests
        self.short = short
    }

    /// The worker's rule in `mode`: the first of ``rules(_:)``, which the feed's ground truth is computed under.
    func rule(_ mode: DetectionRule.Mode) -> DetectionRule {
        rules(mode)[0]
    }

    /// The worker's rules in `mode`: those of `--config` with their mode set to `mode`, else the product's
    /// default rule (threshold 15 per 60 s, /32 and /64 units).
    func rules(_ mode: DetectionRule.Mode) -> [DetectionRule] {
        guard !rules.isEmpty else { return [DetectionRule(mode: mode)] }
        return rules.map { rule in
            DetectionRule(
                name: rule.name, mode: mode, threshold: rule.threshold, windowSeconds: rule.window, dryRun: rule.dryRun,
                banSeconds: rule.banSeconds)
        }
    }

    /// Counters whose stored counts the drain checks: a counter of a window under ``checkedWindowSeconds`` may
    /// expire or trim events while the drain runs, so its total would not add up.
    func checkedCounters(_ mode: DetectionRule.Mode) -> [(counter: RuleCounter, cap: Int)] {
        let rules = rules(mode)
        return RuleCounter.grouping(rules).filter { $0.counter.windowSeconds >= Self.checkedWindowSeconds }.map {
            entry in (entry.counter, entry.rules.map { rules[$0].rollingCap }.max() ?? 1)
        }
    }

    /// The shortest window whose counter a drain checks (see ``checkedCounters(_:)``).
    static let checkedWindowSeconds = 60

    /// The list the benchmark fills and the workers pop.
    var queueKey: String { Self.namespace + "ips" }
    /// The blocklist set.
    var blocklistKey: String { Self.namespace + "blocklist" }
    /// The block events channel.
    var eventsChannel: String { Self.namespace + "events" }
    /// The worker's own keys.
    var keys: KeySchema { KeySchema(prefix: Self.namespace) }
    /// The address whose requests are pushed before a drain's pre-fill, so that they are popped last (the
    /// worker pops the end producers push to): from 198.18.0.0/15, the range set aside for benchmarks (RFC 2544),
    /// which the drains' traffic never uses. ``sentinelEntries`` of them make it a bot, and its block event,
    /// published once the last batch is written, marks the end of the drain.
    static let sentinelAddress = "198.18.0.1"

    /// Requests of the sentinel address: the lowest threshold of a rule that blocks, enough to block it, taken
    /// from the rules with windows of ``checkedWindowSeconds`` or more when there are any.
    ///
    /// The sentinel is pushed without event times, so each of its requests counts when its batch is written. A
    /// rule of a 2-second window would miss it whenever its requests fell into batches written more than 2
    /// seconds apart (a stall, or a slow drain), and the drain would never end.
    var sentinelEntries: Int {
        let blocking = rules(.fixed).filter { !$0.dryRun }
        let long = blocking.filter { $0.windowSeconds >= Self.checkedWindowSeconds }
        return (long.isEmpty ? blocking : long).map(\.threshold).min() ?? rule(.fixed).threshold
    }

    /// The key `redis-benchmark` increments on a server that is not the benchmark's own.
    var incrementKey: String { Self.namespace + "incr" }

    /// The configuration file for `ipwatcher run` in `mode` against `url`: the built-in defaults except the
    /// names above, the batch size when one was asked for, and the log level (warning, so that tens of
    /// thousands of block notices do not end up in the log file; block events still go out on the channel).
    /// `counters` is `detection.counters`; a drain of fixed windows runs once with each layout.
    func workerConfiguration(url: String, mode: DetectionRule.Mode, counters: CounterLayout = .keys) -> String {
        let layout =
            switch counters {
            case .keys: ""
            case .buckets(let count): "\n  counters: buckets\n  buckets: \(count)"
            }
        return """
        # Written by ipwatcher bench for one measurement; removed afterwards.
        redis:
          url: \(YAMLScalar.quoted(url))
          client_name: ipwatcher-bench
        queue:
          key: \(YAMLScalar.quoted(queueKey))\(batch.map { "\n  batch: \($0)" } ?? "")
          delivery: \(delivery.rawValue)
        detection:
          \(detectionRules(mode))
          key_prefix: \(YAMLScalar.quoted(Self.namespace))\(layout)
        blocklist:
          key: \(YAMLScalar.quoted(blocklistKey))
          events_channel: \(YAMLScalar.quoted(eventsChannel))
        log:
          level: warning

        """
    }

    /// The worker's rule keys in `mode`: `mode: …` for the default rule, else `rules: [...]` as text.
    private func detectionRules(_ mode: DetectionRule.Mode) -> String {
        guard !rules.isEmpty else { return "mode: \(mode.rawValue)" }
        let texts = rules.map { rule in
            var forced = rule
            forced.mode = IPWatcherConfiguration.DetectionMode(rawValue: mode.rawValue) ?? .fixed
            return forced.text
        }
        return "rules: " + YAMLScalar.list(texts)
    }
}
