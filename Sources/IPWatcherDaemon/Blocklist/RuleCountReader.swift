import Detection
import RESP
import RedisClient

/// Reads units' counts under one rule from the worker's counters, in the layout (`detection.counters`) and mode
/// the settings name: what `blocklist explain` shows for one unit and `ipwatcher top` ranks for many.
///
/// A counter that does not exist counts 0. A fixed rule reads the current window's counter, a sliding rule the
/// current and the previous window's (weighted as the worker weighs them), a rolling rule its event log (a packed
/// ``Detection/RollingEventLog`` string, or a sorted set for caps above its limit). Reads go in pipelines of at
/// most ``pipelineLimit`` commands, so thousands of units cost a handful of round trips.
public struct RuleCountReader: Sendable {
    /// Most commands in one pipeline.
    public static let pipelineLimit = 1000

    /// The rules' settings: counter layout and near-limit ratio.
    public let detection: DetectionSettings
    /// The worker's key names.
    public let keys: KeySchema

    /// A reader of the counters `settings` describes.
    public init(settings: WorkerSettings) {
        detection = settings.detection
        keys = settings.keys
    }

    /// The state of each of `unitNames` under `rule` at `now` (Unix ms), in the order given.
    public func states(
        of unitNames: [String], under rule: DetectionRule, on client: some RedisCommandExecutor, now: Int64
    ) async throws -> [UnitExplanation.RuleState] {
        var states: [UnitExplanation.RuleState] = []
        states.reserveCapacity(unitNames.count)
        var start = 0
        while start < unitNames.count {
            let chunk = unitNames[start..<min(start + Self.pipelineLimit / 2, unitNames.count)]
            states += try await chunkStates(of: chunk, under: rule, on: client, now: now)
            start = chunk.endIndex
        }
        return states
    }

    /// ``states(of:under:on:now:)`` for at most half a pipeline's worth of units.
    private func chunkStates(
        of names: ArraySlice<String>, under rule: DetectionRule, on client: some RedisCommandExecutor, now: Int64
    ) async throws -> [UnitExplanation.RuleState] {
        let window = rule.fixedWindow
        let index = window.index(of: now)
        var encoder = RESPCommandEncoder()
        for name in names {
            switch rule.mode {
            case .fixed:
                encodeFixedRead(name, rule: rule, index: index, into: &encoder)
            case .sliding:
                encodeFixedRead(name, rule: rule, index: index, into: &encoder)
                encodeFixedRead(name, rule: rule, index: index - 1, into: &encoder)
            case .rolling:
                // A packed log or, for large caps and windows written before it, a sorted set: the type says
                // which reads follow.
                encoder.encode("TYPE", keys.rollingKey(unitName: name, windowSeconds: rule.windowSeconds))
            }
        }
        let replies = try await client.pipeline(encoder)
        for reply in replies { _ = try reply.throwingServerError() }
        var counts: [(count: Int, resetsAt: Int64?)] = []
        switch rule.mode {
        case .fixed:
            for reply in replies {
                let count = Int(reply.string ?? "") ?? 0
                counts.append((count, count > 0 ? window.end(of: index) : nil))
            }
        case .sliding:
            for position in stride(from: 0, to: replies.count, by: 2) {
                let current = Int(replies[position].string ?? "") ?? 0
                let previous = Int(replies[position + 1].string ?? "") ?? 0
                let count = SlidingWindowEstimate.count(
                    current: current, previous: previous, window: window, index: index, now: now)
                // The previous window's share shrinks to nothing at this window's end; the current count goes
                // with the next window's end.
                let resetsAt = count > 0 ? (current > 0 ? window.end(of: index + 1) : window.end(of: index)) : nil
                counts.append((count, resetsAt))
            }
        case .rolling:
            let rollingKeys = names.map { keys.rollingKey(unitName: $0, windowSeconds: rule.windowSeconds) }
            let events = try await Self.rollingEvents(
                keys: rollingKeys, types: replies.map { $0.string ?? "" }, from: now - window.lengthMilliseconds,
                on: client)
            counts = events.map { ($0.count, $0.oldest.map { $0 + window.lengthMilliseconds }) }
        }
        return counts.map { count, resetsAt in
            UnitExplanation.RuleState(
                rule: rule, count: count, resetsAt: resetsAt,
                isNearLimit: rule.isNearLimit(count, ratio: detection.nearLimitRatio))
        }
    }

    /// Encodes the read of `name`'s fixed counter of window `index` under `rule`.
    private func encodeFixedRead(
        _ name: String, rule: DetectionRule, index: Int64, into encoder: inout RESPCommandEncoder
    ) {
        switch detection.counters {
        case .keys:
            encoder.encode(
                "GET", keys.fixedCounterKey(unitName: name, windowSeconds: rule.windowSeconds, windowIndex: index))
        case .buckets(let count):
            let bucket = CounterLayout.bucket(ofName: name, count: count)
            encoder.encode(
                "HGET", keys.bucketKey(windowSeconds: rule.windowSeconds, windowIndex: index, bucket: bucket), name)
        }
    }

    /// How many events each rolling key (whose `TYPE` is the matching entry of `types`) holds from `from` (Unix ms)
    /// on, and the oldest of them; one pipeline for the packed logs and one for the sorted sets.
    static func rollingEvents(
        keys: [String], types: [String], from: Int64, on client: some RedisCommandExecutor
    ) async throws -> [(count: Int, oldest: Int64?)] {
        var results = [(count: Int, oldest: Int64?)](repeating: (0, nil), count: keys.count)
        let packed = keys.indices.filter { types[$0] == "string" }
        let sorted = keys.indices.filter { types[$0] == "zset" }
        if !packed.isEmpty {
            var encoder = RESPCommandEncoder()
            for position in packed { encoder.encode("GET", keys[position]) }
            for (position, reply) in zip(packed, try await client.pipeline(encoder)) {
                let bytes = try reply.throwingServerError().bytes.map { Array($0.readableBytesView) } ?? []
                let times = (RollingEventLog.decode(bytes) ?? []).filter { $0 >= from }
                results[position] = (times.count, times.first)
            }
        }
        if !sorted.isEmpty {
            var encoder = RESPCommandEncoder()
            for position in sorted {
                encoder.encode("ZCOUNT", keys[position], from, "+inf")
                encoder.encode("ZRANGEBYSCORE", keys[position], from, "+inf", "WITHSCORES", "LIMIT", 0, 1)
            }
            let replies = try await client.pipeline(encoder)
            for (offset, position) in sorted.enumerated() {
                let count = try replies[2 * offset].throwingServerError().int.map(Int.init) ?? 0
                // RESP2 replies member, score; RESP3 one [member, score] pair per member.
                var oldest = try replies[2 * offset + 1].throwingServerError().array.map(Array.init) ?? []
                if let pair = oldest.first?.array { oldest = Array(pair) }
                let score = oldest.count == 2 ? oldest[1].double ?? oldest[1].string.flatMap(Double.init) : nil
                results[position] = (count, count > 0 ? score.map { Int64($0) } : nil)
            }
        }
        return results
    }
}
