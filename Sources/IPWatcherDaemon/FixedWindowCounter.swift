import Detection
import RESP
import RedisClient

/// Fixed windows: one counter key per unit per window, `INCRBY` by the unit's count in the batch and
/// `PEXPIREAT` shortly after the window, when no late event can reach it any more.
///
/// Windows are numbered since the epoch, so keys never collide across hours (the tutorial used the minute
/// of the hour). The count before the batch is the reply minus the increment, which is exact even with
/// several workers: each `INCRBY` is atomic, so exactly one worker sees a unit cross the threshold.
struct FixedWindowCounter {
    let keys: KeySchema

    /// Appends two commands per group to `encoder`.
    func encode(_ groups: [UnitCount], rule: DetectionRule, into encoder: inout RESPCommandEncoder) {
        let window = FixedWindow(lengthSeconds: rule.windowSeconds)
        // Almost every group of a batch falls in the same window, so its key prefix is built once.
        var prefixIndex: Int64?
        var prefix = ""
        for group in groups {
            if group.windowIndex != prefixIndex {
                prefix = keys.fixedCounterKeyPrefix(windowSeconds: rule.windowSeconds, windowIndex: group.windowIndex)
                prefixIndex = group.windowIndex
            }
            let key = UnitKeyArgument(prefix: prefix, unit: group.unit)
            encoder.encode("INCRBY", key, group.count)
            encoder.encode("PEXPIREAT", key, window.counterExpiry(of: group.windowIndex))
        }
    }

    /// Replies per group that ``encode(_:rule:into:)`` produces.
    static let repliesPerGroup = 2

    /// Reads the counts from the replies; a group whose `INCRBY` failed is left out and reported.
    func decode(_ replies: ArraySlice<RESPToken>, groups: [UnitCount]) -> (counts: [WindowCount], errors: [RedisServerError]) {
        var counts: [WindowCount] = []
        counts.reserveCapacity(groups.count)
        var errors: [RedisServerError] = []
        var index = replies.startIndex
        for group in groups {
            let reply = replies[index]
            index += Self.repliesPerGroup
            if let error = reply.serverError {
                errors.append(error)
                continue
            }
            guard let after = reply.int else { continue }
            counts.append(WindowCount(group: group, before: Int(after) - group.count, after: Int(after)))
        }
        return (counts, errors)
    }
}
