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
    /// Units per script call.
    static var chunkSize: Int { get }
    /// Appends the script call for chunk `index` of the batch's groups.
    func encode(chunk index: Int, of batch: PreparedBatch, sha: String, into encoder: inout RESPCommandEncoder)
    /// Reads the counts from the replies, in group order; failed chunks are reported, not counted.
    func decode(_ replies: [RESPToken], groups: [UnitCount]) -> (counts: [WindowCount], errors: [RedisServerError])
}

extension WindowCounter {
    /// Number of script calls for `groups` units.
    static func calls(for groups: Int) -> Int { (groups + chunkSize - 1) / chunkSize }

    /// The groups of chunk `index`.
    static func chunk(_ index: Int, of groups: [UnitCount]) -> ArraySlice<UnitCount> {
        groups[index * chunkSize..<min((index + 1) * chunkSize, groups.count)]
    }

    /// Runs the counting script over all groups of `batch` in one pipeline.
    func count(_ batch: PreparedBatch, on client: RedisClient) async throws
        -> (counts: [WindowCount], errors: [RedisServerError])
    {
        let replies = try await client.evaluatePipelined(Self.script, count: Self.calls(for: batch.groups.count)) {
            index, sha, encoder in
            encode(chunk: index, of: batch, sha: sha, into: &encoder)
        }
        return decode(replies, groups: batch.groups)
    }
}
