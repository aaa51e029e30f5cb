/// Where one unit's counter lives under `counters: buckets`: its hash, and whether its call sets the hash's expiry.
struct BucketSlot: Sendable, Hashable {
    /// The hash, ``Detection/CounterLayout/bucket(of:count:)`` of the unit.
    var bucket: Int
    /// Whether the call sets the hash's expiry: true for the first unit of a hash the worker has not expired
    /// lately (``BucketExpiryLedger``).
    var setsExpiry: Bool
}
