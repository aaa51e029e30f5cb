import Detection

/// Everything a feed needs to know besides where Redis is: what to send, how much, how fast, and the rule
/// that ground truth is computed under.
public struct FeedConfiguration: Sendable, Hashable {
    /// The traffic shape.
    public var scenario: TrafficScenario
    /// The rules, bans and ranges the traffic is shaped for and the ground truth assumes; they should match the
    /// worker's (`ipwatcher feed --config` reads them from its file).
    public var setup: DetectionSetup
    /// The first rule: mode, threshold and window of the bursts. Setting it makes it the only rule, keeping the
    /// setup's bans and ranges.
    public var rule: DetectionRule {
        get { setup.rule }
        set {
            setup = DetectionSetup(
                rules: [newValue], banSeconds: setup.banSeconds, escalation: setup.escalation, ranges: setup.ranges)
        }
    }
    /// Fixes every address, count and interleaving.
    public var seed: UInt64
    /// When to stop.
    public var limit: FeedLimit
    /// Requests per second, paced in slices of ``pacingSlice``; nil sends as fast as Redis takes them.
    public var rate: Double?
    /// Whether entries carry event times (`ADDR TIME_MS`); forced on for scenarios that need them.
    public var withTime: Bool
    /// The list to `LPUSH` to, or with ``queueShards`` above 1 the base name of its shards.
    public var queueKey: String
    /// How many lists the queue is split into (`queue.shards`): 1 pushes to ``queueKey`` itself, more push each
    /// entry to the shard ``QueueShards`` picks by the CRC-32 of its address, as web-tier producers do.
    public var queueShards: Int = 1
    /// Entries per `LPUSH` command.
    public var entriesPerCommand: Int = 500
    /// Entries per pipeline written in one go, when not paced.
    public var entriesPerPipeline: Int = 4000
    /// Pipelines awaiting their replies at once.
    public var pipelinesInFlight: Int = 4
    /// Requests per generated chunk; also the longest a unit's burst can be (see ``TrafficGenerator``).
    public var chunkSize: Int = 4096
    /// How often a paced feed sends what is due.
    public var pacingSlice: Duration = .milliseconds(10)
    /// How often the progress callback is called.
    public var progressInterval: Duration = .milliseconds(200)

    /// Creates a configuration; defaults match `ipwatcher feed` and the worker's defaults.
    public init(
        scenario: TrafficScenario = .mixed, rule: DetectionRule = DetectionRule(), seed: UInt64 = 1,
        limit: FeedLimit = .count(10_000), rate: Double? = nil, withTime: Bool = false, queueKey: String = "ips"
    ) {
        self.scenario = scenario
        self.setup = DetectionSetup(rule: rule)
        self.seed = seed
        self.limit = limit
        self.rate = rate
        self.withTime = withTime
        self.queueKey = queueKey
    }

    /// Addresses the `interleaved` scenario cycles through; nil: a tenth of the planned count (about ten requests
    /// each), or 100,000 for a feed limited by time.
    public var interleavedAddresses: Int?

    /// The addresses the `interleaved` scenario cycles through.
    public var addressesPerRound: Int {
        interleavedAddresses ?? max(1, plannedCount.map { $0 / 10 } ?? 100_000)
    }

    /// The queue's shard keys and the rule that picks one per entry.
    public var shards: QueueShards { QueueShards(baseKey: queueKey, count: max(queueShards, 1)) }

    /// Whether the entries will carry event times: asked for, or needed by the scenario.
    public var sendsEventTimes: Bool { withTime || scenario.requiresEventTimes }

    /// The number of requests the feed will send, when known before it starts.
    public var plannedCount: Int? {
        switch limit {
        case .count(let count): return count
        case .duration(let duration):
            guard let rate else { return nil }
            return Int((rate * duration.seconds).rounded(.down))
        }
    }

    /// Requests per chunk: ``chunkSize``, or fewer for a slow paced feed so that a chunk (and so every bot's
    /// burst) lasts at most a quarter of the window.
    var effectiveChunkSize: Int {
        guard let rate else { return max(chunkSize, 1) }
        let quarterWindow = rate * Double(rule.fixedWindow.lengthMilliseconds) / 4000
        return min(max(Int(quarterWindow), 1), max(chunkSize, 1))
    }

    /// Why the configuration cannot work, or nil when it can.
    public func validate() -> String? {
        switch limit {
        case .count(let count) where count < 0: return "the count must not be negative"
        case .duration(let duration) where duration <= .zero: return "the duration must be positive"
        default: break
        }
        if let rate, !(rate > 0 && rate.isFinite) { return "the rate must be a positive number" }
        // The worker's configuration bounds, so ground truth never computes with values the worker refuses.
        if !(1...DetectionRule.maximumThreshold).contains(rule.threshold) {
            return "the threshold must be from 1 to \(DetectionRule.maximumThreshold)"
        }
        if !(1...86400).contains(rule.windowSeconds) { return "the window must be from 1 to 86400 seconds" }
        if !scenario.isSingle, rule.threshold < 2 {
            return "scenarios need a threshold of at least 2, so that users can stay below it"
        }
        if queueKey.isEmpty { return "the queue key must not be empty" }
        if !(1...1024).contains(queueShards) { return "the number of queue shards must be between 1 and 1024" }
        if queueShards > 1, queueKey.contains(where: { $0 == "{" || $0 == "}" }) {
            return "the queue key must not contain { or } with more than one shard (each shard is <key>:{n})"
        }
        if entriesPerCommand < 1 || entriesPerPipeline < 1 || pipelinesInFlight < 1 || chunkSize < 1 {
            return "batch sizes must be positive"
        }
        return nil
    }

    /// Things worth telling the user before the feed starts: settings that make the scenario say less than
    /// it is meant to.
    public var warnings: [String] {
        var result: [String] = []
        if let rate, !scenario.isSingle {
            let perWindow = rate * Double(rule.windowSeconds)
            if perWindow < Double(4 * rule.threshold) {
                result.append(
                    "at \(rate) requests/s the whole feed sends \(Int(perWindow)) requests per \(rule.windowSeconds) s window: "
                        + "bots cannot burst well above the threshold (\(rule.threshold)), so few or none are expected to be blocked")
            }
        }
        if case .mixed = scenario, !sendsEventTimes {
            result.append("mixed without --with-time has no straddling bursts: they need event times")
        }
        return result
    }
}
