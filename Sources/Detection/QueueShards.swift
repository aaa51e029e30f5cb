/// The keys of a queue split into shards, and which shard a producer pushes an entry to.
///
/// With one shard the queue is the key itself (`ips`), as it always was. With `N > 1` shards it is `N` lists
/// `ips:{0}` … `ips:{N-1}`; the braces make each shard its own Redis Cluster hash tag, so the shards spread over
/// the masters while a worker's processing keys for a shard (tagged the same way) live in the shard's slot.
///
/// A producer picks the shard of an entry from its address text alone — everything before the first space, as
/// pushed — by CRC-32 (the zlib/PNG polynomial, what `zlib.crc32`, PHP's `crc32` and Go's `crc32.ChecksumIEEE`
/// compute) modulo `N`, so one address always lands in the same shard. The choice never affects counts (counters
/// are keyed by the canonical unit, not by the shard); it only keeps one address's entries in order.
public struct QueueShards: Hashable, Sendable {
    /// The queue's key as configured (`queue.key`).
    public let baseKey: String
    /// How many shards; 1 means the plain key.
    public let count: Int

    /// The shards of `baseKey`; `count` must be at least 1.
    public init(baseKey: String, count: Int) {
        precondition(count >= 1, "a queue has at least one shard")
        self.baseKey = baseKey
        self.count = count
    }

    /// Every shard's key, in shard order.
    public var keys: [String] { (0..<count).map(key(ofShard:)) }

    /// The key of shard `index`: the base key itself with one shard, else `<base key>:{<index>}`.
    public func key(ofShard index: Int) -> String {
        count == 1 ? baseKey : "\(baseKey):{\(index)}"
    }

    /// The shard a producer pushes `entry` to: CRC-32 of its bytes before the first space, modulo ``count``.
    public func shard(forEntry entry: some Collection<UInt8>) -> Int {
        guard count > 1 else { return 0 }
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in entry {
            if byte == UInt8(ascii: " ") { break }
            crc = Self.table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return Int((crc ^ 0xFFFF_FFFF) % UInt32(count))
    }

    /// The shard a producer pushes `entry` (text) to; see ``shard(forEntry:)-(Collection<UInt8>)``.
    public func shard(forEntry entry: String) -> Int {
        shard(forEntry: entry.utf8)
    }

    /// The key a producer pushes `entry` to.
    public func key(forEntry entry: String) -> String {
        key(ofShard: shard(forEntry: entry))
    }

    /// CRC-32 (reflected polynomial 0xEDB88320), one entry per byte value.
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }
}
