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
    /// Appends the script call for the units of `slice`, all from `batch`, after `head` (`EVALSHA sha` or
    /// `FCALL name`); `marker` is the call's applied-marker key when ``usesMarker``.
    func encode(
        _ slice: ArraySlice<UnitCount>, of batch: PreparedBatch, marker: String?, head: RedisScriptCall,
        into encoder: inout RESPCommandEncoder)
    /// The key of `group`'s counter, which routes its call in a Redis Cluster.
    func key(of group: UnitCount, in batch: PreparedBatch) -> String
    /// Reads the counts from the replies of calls of `chunkSize` units each, in group order; failed calls are
    /// reported, not counted.
    ///
    /// - Throws: ``CounterReplyError`` when a call's reply does not hold exactly what its units need.
    func decode(_ replies: [RESPToken], groups: [UnitCount], chunkSize: Int) throws(CounterReplyError)
        -> (counts: [WindowCount], errors: [RedisServerError])
    /// The key named when a call fails without naming one.
    var keyDescription: String { get }
}

extension WindowCounter {
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

    /// Counts all groups of `batch` and returns the counts before and after.
    ///
    /// On a single server the calls take ``chunkSize`` units each and go as one pipeline. A Redis Cluster runs a
    /// script only on keys of one slot, and the units' counters are spread over all slots, so there each unit gets
    /// a call of its own, routed to its counter's master; the calls still go as one pipeline per node.
    ///
    /// Safe to repeat after any failure, also one whose replies were lost: each call is all or nothing, and one
    /// that already ran adds nothing again (see ``BatchWriteProgress``).
    ///
    /// - Throws: ``BatchWriteRefusal`` when Redis refused a call for a lasting reason (the first such, naming
    ///   its key), ``RedisError/server(_:)`` for a transient one, or the connection's error.
    func count(_ batch: PreparedBatch, on client: RedisRouter) async throws -> [WindowCount] {
        let groups = batch.groups
        let decoded: (counts: [WindowCount], errors: [RedisServerError])
        switch client.backend {
        case .server(let server):
            let replies = try await server.evaluatePipelined(
                Self.script, count: Self.calls(for: groups.count), functions: client.functions
            ) { index, head, encoder in
                let marker = Self.usesMarker ? keys.appliedKey(batchTag: batch.tag, chunk: index) : nil
                encode(Self.chunk(index, of: groups), of: batch, marker: marker, head: head, into: &encoder)
            }
            decoded = try decode(replies, groups: groups, chunkSize: Self.chunkSize)
        case .cluster:
            var encoder = RESPCommandEncoder()
            let replies = try await client.evaluatePipelined(Self.script, count: groups.count) { index, head in
                encoder.reset()
                let key = key(of: groups[index], in: batch)
                let marker = Self.usesMarker ? keys.appliedKey(counterKey: key, batchTag: batch.tag) : nil
                encode(groups[index...index], of: batch, marker: marker, head: head, into: &encoder)
                return RedisRoutedCommand(RESPCommand(encoded: encoder.buffer), key: key)
            }
            decoded = try decode(replies, groups: groups, chunkSize: 1)
        }
        if let transient = decoded.errors.first(where: \.isTransient) { throw RedisError.server(transient) }
        if let refused = decoded.errors.first {
            throw BatchWriteRefusal(step: .counters, scriptError: refused, fallbackKey: keyDescription)
        }
        return decoded.counts
    }
}
