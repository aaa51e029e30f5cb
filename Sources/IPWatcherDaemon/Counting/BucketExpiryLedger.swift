import Detection

/// The counter hashes this worker has lately given their expiry, so that a hash's expiry is set about once per
/// window instead of in every call that touches it.
///
/// A window's hashes are each touched by almost every call (a call of 1,000 units touches about 970 of 16,384
/// hashes), so an expiry per hash per call would cost Redis nearly one `PEXPIREAT` per unit, the very cost the
/// buckets save; measured, expiring only what the ledger has not seen makes a call about a quarter cheaper.
///
/// The ledger is forgotten every ``forgetMilliseconds`` of the worker's clock, so a hash that was deleted and
/// made again within its window — `FLUSHALL`, eviction, a failover that lost writes — gets its expiry back at its
/// next touch after that. A claim is made when a batch is prepared, and the consumer writes batches in order,
/// retrying or holding one until it is written, so no batch that relies on a claim is written before the one
/// whose call sets the expiry.
struct BucketExpiryLedger {
    /// How long a claim is trusted.
    static let forgetMilliseconds: Int64 = 10_000

    private struct Window: Hashable {
        var seconds: Int
        var index: Int64
    }

    private var claimed: [Window: [UInt64]] = [:]
    private var forgetsAt = Int64.min

    /// Forgets every claim when the last forgetting is ``forgetMilliseconds`` old at `now`, or when the clock went
    /// back by more than that (the claims are then of a time that has not come).
    mutating func refresh(now: Int64) {
        guard now >= forgetsAt || now < forgetsAt.saturatingSubtract(2 * Self.forgetMilliseconds) else { return }
        claimed.removeAll(keepingCapacity: true)
        forgetsAt = now.saturatingAdd(Self.forgetMilliseconds)
    }

    /// Whether `bucket` of the window needs its expiry set by this batch: true the first time it is asked since the
    /// last forgetting, false after. `buckets` sizes a window's record; a reload to more buckets widens it.
    mutating func claim(windowSeconds: Int, windowIndex: Int64, bucket: Int, buckets: Int) -> Bool {
        let window = Window(seconds: windowSeconds, index: windowIndex)
        var words = claimed.removeValue(forKey: window) ?? []
        defer { claimed[window] = words }
        return Self.claim(bucket, buckets: buckets, in: &words)
    }

    /// The slot of every group of a fixed counter's batch under `buckets` hashes per window.
    mutating func slots(for groups: [UnitCount], windowSeconds: Int, buckets: Int) -> [BucketSlot] {
        // Almost every group of a batch is of one window: its record is taken out once, not once per group.
        var window: Window?
        var words: [UInt64] = []
        var slots: [BucketSlot] = []
        slots.reserveCapacity(groups.count)
        for group in groups {
            if window?.index != group.windowIndex {
                if let window { claimed[window] = words }
                let next = Window(seconds: windowSeconds, index: group.windowIndex)
                words = claimed.removeValue(forKey: next) ?? []
                window = next
            }
            let bucket = CounterLayout.bucket(of: group.unit, count: buckets)
            slots.append(BucketSlot(bucket: bucket, setsExpiry: Self.claim(bucket, buckets: buckets, in: &words)))
        }
        if let window { claimed[window] = words }
        return slots
    }

    /// Marks `bucket` in a window's record, widening it as needed; true when it was not marked.
    private static func claim(_ bucket: Int, buckets: Int, in words: inout [UInt64]) -> Bool {
        guard bucket >= 0 else { return true }
        let word = bucket >> 6
        if words.count <= word {
            words.append(contentsOf: repeatElement(0, count: max(word + 1, (buckets + 63) >> 6) - words.count))
        }
        let bit = UInt64(1) << UInt64(bucket & 63)
        let isNew = words[word] & bit == 0
        words[word] |= bit
        return isNew
    }
}
