import Detection
import RESP
import RedisClient

/// Reads each unit's count in the fixed window before the one it was just counted in, for sliding rules.
///
/// The previous window's counter outlives its window by one window length (``FixedWindow/counterExpiry(of:)``),
/// so it is still there for the whole of the current window: sliding rules need nothing stored beyond what fixed
/// rules store, only one more read per unit — `GET` of its key, or `HGET` of its field under `counters:
/// buckets` — pipelined (and on a cluster routed by key).
struct PreviousWindowReader: Sendable {
    let keys: KeySchema
    let client: RedisRouter

    /// Reads per pipeline: bounds the memory of one round trip.
    static let chunkSize = 10_000

    /// `counts` with each ``WindowCount/previous`` filled in.
    ///
    /// A counter of another type or an unreadable value reads as 0: the sliding estimate then falls back to the
    /// fixed count, which the counter step has already written, rather than failing the batch.
    ///
    /// - Throws: ``RedisError/server(_:)`` for a transient refusal, or the connection's error.
    func read(_ counts: [WindowCount], windowSeconds: Int, layout: CounterLayout) async throws -> [WindowCount] {
        var result = counts
        for start in stride(from: 0, to: counts.count, by: Self.chunkSize) {
            let chunk = start..<min(start + Self.chunkSize, counts.count)
            let commands = counts[chunk].map { count in
                let name = count.group.unit.name
                let index = count.group.windowIndex - 1
                switch layout {
                case .keys:
                    let key = keys.fixedCounterKey(unitName: name, windowSeconds: windowSeconds, windowIndex: index)
                    return RedisRoutedCommand(RESPCommand("GET", key), key: key)
                case .buckets(let buckets):
                    let key = keys.bucketKey(
                        windowSeconds: windowSeconds, windowIndex: index,
                        bucket: CounterLayout.bucket(ofName: name, count: buckets))
                    return RedisRoutedCommand(RESPCommand("HGET", key, name), key: key)
                }
            }
            let replies = try await client.pipeline(commands)
            for (position, reply) in zip(chunk, replies) {
                if let error = reply.serverError, error.isTransient { throw RedisError.server(error) }
                result[position].previous = reply.string.flatMap { Int($0) } ?? 0
            }
        }
        return result
    }
}
