import Detection
import RESP
import RedisClient

/// A way of counting units per window in Redis with a script, one call per chunk of units.
///
/// ``FixedWindowCounter`` and ``RollingWindowCounter`` differ only in their script and its arguments;
/// the batch processor drives both the same way through this protocol.
protocol WindowCounter: Sendable {
    /// The script run once per chunk.
    static var script: RedisScript { get }
    /// Names the keys the calls touch.
    var keys: KeySchema { get }
    /// Units per script call on a single server.
    static var chunkSize: Int { get }
    /// Whether each call carries an applied-marker key (see ``FixedWindowCounter``); a counter whose script is
    /// idempotent by itself needs none.
    static var usesMarker: Bool { get }
    /// Whether a call's reply holds two values per unit, its count before and after the call, rather than only
    /// the count after.
    static var repliesBefore: Bool { get }
    /// Appends the script call for the units of `slice`, all from `batch`, after `head` (`EVALSHA sha` or
    /// `FCALL name`); `marker` is the call's applied-marker key when ``usesMarker``.
    func encode(
        _ slice: ArraySlice<UnitCount>, of batch: CounterBatch, marker: String?, head: RedisScriptCall,
        into encoder: inout RESPCommandEncoder)
    /// The key of `group`'s counter, which routes its call in a Redis Cluster.
    func key(of group: UnitCount, in batch: CounterBatch) -> String
    /// The key named when a call fails without naming one.
    var keyDescription: String { get }
    /// The applied-marker of `group`'s call in a Redis Cluster, where each unit is a call of its own routed by
    /// `routingKey` (its ``key(of:in:)``); it must hash to the same slot.
    func clusterMarker(routingKey: String, group: UnitCount, batchTag: String) -> String
}

extension WindowCounter {
    /// The whole counter key as the marker's hash tag: right for a key per unit, which holds no braces.
    func clusterMarker(routingKey: String, group: UnitCount, batchTag: String) -> String {
        keys.appliedKey(counterKey: routingKey, batchTag: batchTag)
    }

    /// Reads the counts from the replies of calls of `chunkSize` units each, in group order; failed calls are
    /// reported, not counted.
    ///
    /// - Throws: ``ReplySizeError`` when a call's reply does not hold exactly what its units need.
    func decode(_ replies: [RESPToken], groups: [UnitCount], chunkSize: Int) throws(ReplySizeError)
        -> (counts: [WindowCount], errors: [RedisServerError])
    {
        let valuesPerUnit = Self.repliesBefore ? 2 : 1
        var counts: [WindowCount] = []
        counts.reserveCapacity(groups.count)
        var errors: [RedisServerError] = []
        for (index, reply) in replies.enumerated() {
            if let error = reply.serverError {
                errors.append(error)
                continue
            }
            let expected = valuesPerUnit * Self.units(ofCall: index, groups: groups.count, chunkSize: chunkSize)
            guard let values = reply.array, values.count == expected else {
                throw ReplySizeError(
                    command: "counter call \(index)", count: reply.array?.count ?? 0, allowed: .exactly(expected))
            }
            var position = index * chunkSize
            var before: Int64?
            for value in values {
                guard let number = value.int else {
                    throw ReplySizeError(
                        command: "counter call \(index)", count: values.count, allowed: .exactly(expected))
                }
                if Self.repliesBefore && before == nil {
                    before = number
                    continue
                }
                let group = groups[position]
                let after = Int(number)
                counts.append(
                    WindowCount(group: group, before: before.map { Int($0) } ?? after - group.count, after: after))
                before = nil
                position += 1
            }
        }
        return (counts, errors)
    }

    /// Units of call `index` when calls take `chunkSize` units each.
    static func units(ofCall index: Int, groups: Int, chunkSize: Int) -> Int {
        max(0, min(chunkSize, groups - index * chunkSize))
    }

    /// Number of script calls for `groups` units on a single server.
    static func calls(for groups: Int) -> Int { (groups + chunkSize - 1) / chunkSize }

    /// The groups of call `index` on a single server.
    static func chunk(_ index: Int, of groups: [UnitCount]) -> ArraySlice<UnitCount> {
        groups[index * chunkSize..<min((index + 1) * chunkSize, groups.count)]
    }

    /// Counts all groups of one counter's part of a batch and returns the counts before and after.
    ///
    /// On a single server the calls take ``chunkSize`` units each; on a Redis Cluster each unit gets a call of its
    /// own, routed to its counter's master (``RedisRouter/evaluateChunked(_:units:chunkSize:timeout:key:encode:)``).
    ///
    /// Safe to repeat after any failure, also one whose replies were lost: each call is all or nothing, and one
    /// that already ran adds nothing again (see ``BatchWriteProgress``).
    ///
    /// - Throws: ``BatchWriteRefusal`` when Redis refused a call for a lasting reason (the first such, naming
    ///   its key), ``RedisError/server(_:)`` for a transient one, or the connection's error.
    func count(_ batch: CounterBatch, on client: RedisRouter) async throws -> [WindowCount] {
        let groups = batch.groups
        let (replies, unitsPerCall) = try await client.evaluateChunked(
            Self.script, units: groups.count, chunkSize: Self.chunkSize, key: { key(of: groups[$0], in: batch) }
        ) { call, units, routingKey, head, encoder in
            let marker: String? =
                if !Self.usesMarker { nil }
                else if let routingKey {
                    clusterMarker(routingKey: routingKey, group: groups[units.lowerBound], batchTag: batch.tag)
                }
                else { keys.appliedKey(batchTag: batch.tag, chunk: call) }
            encode(groups[units], of: batch, marker: marker, head: head, into: &encoder)
        }
        let decoded = try decode(replies, groups: groups, chunkSize: unitsPerCall)
        if let transient = decoded.errors.first(where: \.isTransient) { throw RedisError.server(transient) }
        if let refused = decoded.errors.first {
            throw BatchWriteRefusal(step: .counters, scriptError: refused, fallbackKey: keyDescription)
        }
        return decoded.counts
    }
}

/// A unit's count in its window before and after a batch was added.
public struct WindowCount: Sendable, Hashable {
    /// The unit and how many of the batch's entries it had.
    public let group: UnitCount
    /// The count before the batch.
    public let before: Int
    /// The count after the batch.
    public let after: Int
    /// The unit's count in the window before ``group``'s, read when a sliding rule reads this counter; 0 otherwise.
    public var previous: Int = 0
    /// The unit's count in the window after ``group``'s, read when a sliding rule reads this counter and that
    /// window had begun when the batch was prepared (the batch's requests for this window came late); 0 otherwise.
    public var next: Int = 0

    init(group: UnitCount, before: Int, after: Int, previous: Int = 0, next: Int = 0) {
        self.group = group
        self.before = before
        self.after = after
        self.previous = previous
        self.next = next
    }

    /// The count as `rule` reads it: as counted for fixed and rolling rules; for a sliding rule, the sliding
    /// estimate (``SlidingWindowEstimate``).
    ///
    /// The estimate in the unit's own window weighs the window before at the unit's latest request of the batch —
    /// its own time, so a backlog is judged as it happened — or at `now` when that is unknown. When the batch's
    /// requests came late, into a window that had ended, they also weigh in the window after it, which already
    /// holds ``next``: judged at `now`, its estimate is the count when it is the larger. A queue popped from the
    /// end producers push to hands the worker a burst's later half before its earlier half; this is how the
    /// earlier half still counts.
    func reading(for rule: DetectionRule, now: Int64) -> WindowCount {
        guard rule.mode == .sliding, previous > 0 || next > 0 else { return self }
        let window = rule.fixedWindow
        let latest = group.latestTime > 0 ? group.latestTime : now
        func estimate(_ current: Int) -> Int {
            SlidingWindowEstimate.reading(
                current: current, previous: previous, next: next, window: window, index: group.windowIndex,
                latest: latest, now: now)
        }
        return WindowCount(group: group, before: estimate(before), after: estimate(after), previous: previous, next: next)
    }
}
