import Detection
import RESP
import RedisClient

/// Reads each unit's count in the fixed window before the one it was just counted in, for sliding rules, and in
/// the window after it when the batch's requests came late.
///
/// The previous window's counter outlives its window by one window length (``FixedWindow/counterExpiry(of:)``),
/// so it is still there for the whole of the current window: sliding rules need nothing stored beyond what fixed
/// rules store, only one more read per unit (two for late requests) — `GET` of its key, or `HGET` of its field
/// under `counters: buckets` — pipelined (and on a cluster routed by key).
struct PreviousWindowReader: Sendable {
    let keys: KeySchema
    let client: RedisRouter

    /// Reads per pipeline: bounds the memory of one round trip.
    static let chunkSize = 10_000

    /// `counts` with each ``WindowCount/previous`` filled in, and ``WindowCount/next`` for the units counted in a
    /// window that had already ended at `now` (late requests: they weigh in the window after theirs too).
    ///
    /// A counter of another type or an unreadable value reads as 0: the sliding estimate then falls back to the
    /// fixed count, which the counter step has already written, rather than failing the batch.
    ///
    /// - Throws: ``RedisError/server(_:)`` for a transient refusal, or the connection's error.
    func read(
        _ counts: [WindowCount], windowSeconds: Int, layout: CounterLayout, now: Int64
    ) async throws -> [WindowCount] {
        let current = FixedWindow(lengthSeconds: windowSeconds).index(of: now)
        var result = counts
        for start in stride(from: 0, to: counts.count, by: Self.chunkSize) {
            let chunk = start..<min(start + Self.chunkSize, counts.count)
            var commands: [RedisRoutedCommand] = []
            var targets: [(position: Int, isNext: Bool)] = []
            for position in chunk {
                let group = counts[position].group
                commands.append(read(group.unit.name, windowSeconds: windowSeconds, index: group.windowIndex - 1, layout: layout))
                targets.append((position, false))
                if group.windowIndex < current {
                    commands.append(
                        read(group.unit.name, windowSeconds: windowSeconds, index: group.windowIndex + 1, layout: layout))
                    targets.append((position, true))
                }
            }
            let replies = try await client.pipeline(commands)
            for (target, reply) in zip(targets, replies) {
                if let error = reply.serverError, error.isTransient { throw RedisError.server(error) }
                let value = reply.string.flatMap { Int($0) } ?? 0
                if target.isNext { result[target.position].next = value } else { result[target.position].previous = value }
            }
        }
        return result
    }

    /// The read of `unit`'s counter in window `index`: `GET` of its key, or `HGET` of its field in its bucket.
    private func read(_ unit: String, windowSeconds: Int, index: Int64, layout: CounterLayout) -> RedisRoutedCommand {
        switch layout {
        case .keys:
            let key = keys.fixedCounterKey(unitName: unit, windowSeconds: windowSeconds, windowIndex: index)
            return RedisRoutedCommand(RESPCommand("GET", key), key: key)
        case .buckets(let buckets):
            let key = keys.bucketKey(
                windowSeconds: windowSeconds, windowIndex: index, bucket: CounterLayout.bucket(ofName: unit, count: buckets))
            return RedisRoutedCommand(RESPCommand("HGET", key, unit), key: key)
        }
    }
}
