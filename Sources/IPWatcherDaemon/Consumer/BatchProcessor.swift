import Detection
import Logging
import NIOCore
import RESP
import RedisClient

/// Turns popped entries into counter updates and blocks: parse, add up per unit and window for each distinct
/// counter of the rules, one pipeline of counter updates per counter, then one of blocks for the units over a
/// rule's threshold.
struct BatchProcessor {
    let client: RedisRouter
    let settings: WorkerSettings
    let statistics: WorkerStatistics
    let logger: Logger
    private let rejectLog: RateLimitedLogger
    private let writer: BlocklistWriter
    private let fixed: FixedWindowCounter
    private let rolling: RollingWindowCounter
    private let previousWindows: PreviousWindowReader
    /// Which counter hashes were given their expiry lately, under `counters: buckets`.
    private var bucketExpiries = BucketExpiryLedger()
    /// Random per processor (``randomRunID()``), so batch tags never repeat across runs, hosts or reused process ids.
    private let runID: String
    private var batchSequence: UInt64 = 0
    /// One aggregator per distinct counter of the rules (``RuleCounter/grouping(_:)``), in that order.
    private var aggregators: [BatchAggregator]
    private var counterPlan: [(counter: RuleCounter, rules: [Int])]
    private var aggregatorSettings: DetectionSettings

    init(client: RedisRouter, settings: WorkerSettings, statistics: WorkerStatistics, logger: Logger) {
        self.client = client
        self.settings = settings
        self.statistics = statistics
        self.logger = logger
        self.rejectLog = RateLimitedLogger(logger: logger)
        self.writer = BlocklistWriter(client: client, settings: settings, logger: logger)
        self.fixed = FixedWindowCounter(keys: settings.keys)
        self.rolling = RollingWindowCounter(keys: settings.keys)
        self.previousWindows = PreviousWindowReader(keys: settings.keys, client: client)
        self.runID = Self.randomRunID()
        self.aggregatorSettings = settings.detection
        (self.counterPlan, self.aggregators) = Self.makeAggregators(settings.detection)
    }

    /// Eight random letters and digits, about 47 bits: short, since every rolling member carries the tag.
    static func randomRunID() -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".unicodeScalars)
        var generator = SystemRandomNumberGenerator()
        var id = ""
        for _ in 0..<8 { id.unicodeScalars.append(alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))]) }
        return id
    }

    /// The counters the rules read and an aggregator for each: units named and filtered by the rules' shared
    /// prefixes and allowlist, windows and mode by the counter, stale by the counter's window.
    private static func makeAggregators(
        _ detection: DetectionSettings
    ) -> ([(counter: RuleCounter, rules: [Int])], [BatchAggregator]) {
        let plan = RuleCounter.grouping(detection.rules)
        let aggregators = plan.map { entry in
            var rule = detection.unitRule
            rule.mode = entry.counter.mode
            rule.windowSeconds = entry.counter.windowSeconds
            return BatchAggregator(rule: rule, clock: EventClock(windowMilliseconds: rule.windowMilliseconds))
        }
        return (plan, aggregators)
    }

    /// Parses and adds up `entries` under `detection`; records the parse figures.
    ///
    /// An entry is counted when any counter counts it, and stale only when it is older than every window.
    mutating func prepare(_ entries: [ByteBuffer], detection: DetectionSettings, now: Int64) -> PreparedBatch {
        if detection != aggregatorSettings {
            (counterPlan, aggregators) = Self.makeAggregators(detection)
            aggregatorSettings = detection
        }
        for index in aggregators.indices { aggregators[index].reset() }
        batchSequence &+= 1
        var batch = PreparedBatch(detection: detection, now: now, tag: "\(runID)-\(batchSequence)")
        batch.popped = entries.count
        for entry in entries {
            let parsed = entry.withUnsafeReadableBytes { QueueEntryParser.parse($0) }
            switch parsed {
            case .success(let queueEntry):
                var outcome = EntryOutcome.stale
                for index in aggregators.indices {
                    switch aggregators[index].add(queueEntry, now: now) {
                    case .counted: outcome = .counted
                    case .allowlisted: outcome = .allowlisted
                    case .future: outcome = .future
                    case .stale: break
                    }
                    // Allowlist and future time do not depend on the window: the first counter decides them.
                    if outcome == .allowlisted || outcome == .future { break }
                }
                switch outcome {
                case .counted: batch.counted += 1
                case .allowlisted: batch.allowlisted += 1
                case .stale: batch.stale += 1
                case .future: reject(entry, reason: .future, in: &batch)
                }
            case .failure(let reason):
                reject(entry, reason: reason, in: &batch)
            }
        }
        bucketExpiries.refresh(now: now)
        batch.counters = zip(counterPlan, aggregators).enumerated().map { index, pair in
            let (entry, aggregator) = pair
            var counter = CounterBatch(
                counter: entry.counter, rules: entry.rules,
                rollingCap: entry.rules.reduce(1) { max($0, detection.rules[$1].rollingCap) },
                groups: aggregator.groups, tag: index == 0 ? batch.tag : "\(batch.tag).\(index)", now: now)
            if entry.counter.mode != .rolling, case .buckets(let count) = detection.counters {
                counter.buckets = bucketExpiries.slots(
                    for: counter.groups, windowSeconds: entry.counter.windowSeconds, buckets: count)
            }
            return counter
        }
        let prepared = batch
        statistics.record { totals in
            totals.popped += prepared.popped
            totals.stale += prepared.stale
            totals.allowlisted += prepared.allowlisted
            for (reason, count) in prepared.rejected { totals.rejected[reason, default: 0] += count }
        }
        return batch
    }

    /// Counts a fixed counter under `counters: buckets`: in `MULTI`/`EXEC` blocks on a single server, with the
    /// bucket script on a cluster. `resuming`: an earlier attempt was sent and may have run.
    private func countInBuckets(_ counter: CounterBatch, buckets: Int, resuming: Bool) async throws -> [WindowCount] {
        if let counts = try await BucketTransactionCounter(keys: settings.keys, buckets: buckets)
            .count(counter, on: client, resuming: resuming)
        {
            return counts
        }
        return try await BucketedWindowCounter(keys: settings.keys, buckets: buckets)
            .count(BucketedWindowCounter.expiringInEveryCall(counter), on: client)
    }

    private func reject(_ entry: ByteBuffer, reason: EntryRejection, in batch: inout PreparedBatch) {
        batch.rejected[reason, default: 0] += 1
        if settings.rejectedKey != nil { batch.rejectedEntries.append(entry) }
        rejectLog.log(
            level: .warning, "rejected queue entry",
            metadata: ["reason": "\(reason.rawValue)", "entry": "\(Self.printable(entry))"])
    }

    /// The first bytes of an entry with anything unprintable escaped, safe for a log line.
    private static func printable(_ entry: ByteBuffer) -> String {
        let shown = entry.getBytes(at: entry.readerIndex, length: min(entry.readableBytes, 64)) ?? []
        var text = ""
        for byte in shown {
            if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16)
                text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return entry.readableBytes > 64 ? text + "…(\(entry.readableBytes) bytes)" : text
    }

    /// Writes a prepared batch: counters, then blocks, then dead letters, each step once.
    ///
    /// Safe to call again after a failure: ``PreparedBatch/progress`` records each step as Redis confirms it, so
    /// a retry resumes where the last attempt stopped, and the server-side steps are safe to repeat when only
    /// their reply was lost (see ``BatchWriteProgress``).
    ///
    /// - Throws: ``BatchWriteRefusal`` when Redis refuses a step for a lasting reason (the batch must be kept
    ///   and tried again later), or the error of a failed connection or a transient refusal.
    func write(_ batch: inout PreparedBatch) async throws {
        if !batch.progress.countersWritten {
            for (index, counter) in batch.counters.enumerated() where batch.progress.counts[index] == nil {
                var counts: [WindowCount] = []
                if !counter.groups.isEmpty {
                    counts =
                        switch counter.counter.mode {
                        // A sliding rule's counter is the fixed one (DetectionRule.counter); one built as sliding by
                        // hand counts the same way.
                        case .fixed, .sliding:
                            switch batch.detection.counters {
                            case .keys: try await fixed.count(counter, on: client)
                            case .buckets(let count):
                                try await countInBuckets(
                                    counter, buckets: count, resuming: !batch.progress.countersAttempted.insert(index).inserted)
                            }
                        case .rolling: try await rolling.count(counter, on: client)
                        }
                }
                batch.progress.counts[index] = counts
            }
            for (index, counter) in batch.counters.enumerated()
            where counter.readsPreviousWindow(batch.detection) && !batch.progress.previousRead.contains(index) {
                if let counts = batch.progress.counts[index], !counts.isEmpty {
                    batch.progress.counts[index] = try await previousWindows.read(
                        counts, windowSeconds: counter.counter.windowSeconds, layout: batch.detection.counters,
                        now: batch.now)
                }
                batch.progress.previousRead.insert(index)
            }
            batch.progress.countersWritten = true
            recordRuleFigures(batch)
            batch.progress.pendingBans = writer.candidates(
                batch.progress.counts, counters: batch.counters, detection: batch.detection, now: batch.now)
        }
        if var pending = batch.progress.pendingBans, !pending.isEmpty {
            defer { batch.progress.pendingBans = pending }
            var done: [String: Int] = [:]
            defer {
                for (rule, count) in done { batch.progress.blockedByRule[rule, default: 0] += count }
            }
            var ranges = 0
            defer { batch.progress.rangesBlocked += ranges }
            try await writer.block(
                &pending, detection: batch.detection, now: batch.now, done: &done, rangesBanned: &ranges)
        }
        if !batch.progress.deadLettersWritten {
            if let rejectedKey = settings.rejectedKey, !batch.rejectedEntries.isEmpty {
                let commands = [
                    RedisRoutedCommand(RESPCommand("LPUSH", rejectedKey, batch.rejectedEntries), key: rejectedKey),
                    RedisRoutedCommand(
                        RESPCommand("LTRIM", rejectedKey, 0, settings.rejectedMax - 1), key: rejectedKey),
                ]
                for reply in try await client.pipeline(commands) {
                    guard let error = reply.serverError else { continue }
                    if error.isTransient { throw RedisError.server(error) }
                    throw BatchWriteRefusal(step: .deadLetters, key: rejectedKey, error: error)
                }
            }
            batch.progress.deadLettersWritten = true
        }
        let finished = batch
        statistics.record { totals in
            totals.counted += finished.counted
            totals.blocked += finished.progress.blocked
            totals.rangesBlocked += finished.progress.rangesBlocked
            totals.batches += 1
            for (rule, count) in finished.progress.blockedByRule { totals.rules[rule, default: .init()].blocks += count }
        }
    }

    /// Adds each rule's crossings and near-limit units of a batch whose counters are written to the totals.
    private func recordRuleFigures(_ batch: PreparedBatch) {
        let detection = batch.detection
        var figures: [String: WorkerStatistics.RuleTotals] = [:]
        for (index, counter) in batch.counters.enumerated() {
            guard let counts = batch.progress.counts[index] else { continue }
            for ruleIndex in counter.rules {
                let rule = detection.rules[ruleIndex]
                let near = rule.nearLimitCount(ratio: detection.nearLimitRatio)
                var totals = figures[rule.name] ?? WorkerStatistics.RuleTotals()
                for count in counts {
                    let count = count.reading(for: rule, now: batch.now)
                    if rule.crossed(before: count.before, after: count.after) { totals.crossings += 1 }
                    if count.before < near && count.after >= near && count.after < rule.threshold { totals.nearLimit += 1 }
                }
                figures[rule.name] = totals
            }
        }
        statistics.record { totals in
            for (name, figure) in figures {
                totals.rules[name, default: .init()].crossings += figure.crossings
                totals.rules[name, default: .init()].nearLimit += figure.nearLimit
            }
        }
    }
}
