import Detection
import Logging
import NIOCore
import RESP
import RedisClient

/// Turns popped entries into counter updates and blocks: parse, add up per unit and window, one pipeline
/// of counter updates, then one of blocks for the units over the threshold.
struct BatchProcessor {
    let client: RedisRouter
    let settings: WorkerSettings
    let statistics: WorkerStatistics
    let logger: Logger
    private let rejectLog: RateLimitedLogger
    private let writer: BlocklistWriter
    private let fixed: FixedWindowCounter
    private let rolling: RollingWindowCounter
    /// Random per processor (``randomRunID()``), so batch tags never repeat across runs, hosts or reused process ids.
    private let runID: String
    private var batchSequence: UInt64 = 0
    private var aggregator: BatchAggregator
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
        self.runID = Self.randomRunID()
        self.aggregatorSettings = settings.detection
        self.aggregator = Self.makeAggregator(settings.detection)
    }

    /// Eight random letters and digits, about 47 bits: short, since every rolling member carries the tag.
    static func randomRunID() -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".unicodeScalars)
        var generator = SystemRandomNumberGenerator()
        var id = ""
        for _ in 0..<8 { id.unicodeScalars.append(alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))]) }
        return id
    }

    private static func makeAggregator(_ detection: DetectionSettings) -> BatchAggregator {
        BatchAggregator(
            rule: detection.rule, clock: EventClock(windowMilliseconds: Int64(detection.rule.windowSeconds) * 1000))
    }

    /// Parses and adds up `entries` under `detection`; records the parse figures.
    mutating func prepare(_ entries: [ByteBuffer], detection: DetectionSettings, now: Int64) -> PreparedBatch {
        if detection != aggregatorSettings {
            aggregator = Self.makeAggregator(detection)
            aggregatorSettings = detection
        }
        aggregator.reset()
        batchSequence &+= 1
        var batch = PreparedBatch(detection: detection, now: now, tag: "\(runID)-\(batchSequence)")
        batch.popped = entries.count
        for entry in entries {
            let parsed = entry.withUnsafeReadableBytes { QueueEntryParser.parse($0) }
            switch parsed {
            case .success(let queueEntry):
                switch aggregator.add(queueEntry, now: now) {
                case .counted: batch.counted += 1
                case .allowlisted: batch.allowlisted += 1
                case .stale: batch.stale += 1
                case .future: reject(entry, reason: .future, in: &batch)
                }
            case .failure(let reason):
                reject(entry, reason: reason, in: &batch)
            }
        }
        batch.groups = aggregator.groups
        let prepared = batch
        statistics.record { totals in
            totals.popped += prepared.popped
            totals.stale += prepared.stale
            totals.allowlisted += prepared.allowlisted
            for (reason, count) in prepared.rejected { totals.rejected[reason, default: 0] += count }
        }
        return batch
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
        if batch.progress.counts == nil {
            var counts: [WindowCount] = []
            if !batch.groups.isEmpty {
                counts =
                    switch batch.detection.rule.mode {
                    case .fixed: try await fixed.count(batch, on: client)
                    case .rolling: try await rolling.count(batch, on: client)
                    }
            }
            batch.progress.counts = counts
            batch.progress.pendingBans = writer.candidates(counts, detection: batch.detection, now: batch.now)
        }
        if var pending = batch.progress.pendingBans, !pending.isEmpty {
            defer { batch.progress.pendingBans = pending }
            batch.progress.blocked += try await writer.block(&pending, detection: batch.detection, now: batch.now)
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
            totals.batches += 1
        }
    }
}
