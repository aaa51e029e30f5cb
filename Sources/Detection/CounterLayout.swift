/// How fixed-window counters are laid out in Redis: a key per unit, or fields of a fixed number of small hashes.
///
/// `keys` is the tutorial's layout: one string key per unit and window that an operator can `GET`, at about 130
/// bytes of Redis memory per unit. `buckets` spreads a window's counters over ``buckets(count:)`` hashes, a unit
/// going to the hash its name's ``bucket(ofName:count:)`` picks. While a hash holds at most Redis's
/// `hash-max-listpack-entries` fields (128 by default) Redis keeps it in its compact listpack encoding, where a
/// counter costs about 20 bytes; so `count` should be the units expected per window divided by 64
/// (``bucketCount(forUnits:)``): hashes of 64 fields on average stay under 128 whatever the unevenness of the
/// spread. Rolling windows are sorted sets per unit in either layout.
public enum CounterLayout: Sendable, Hashable {
    /// One counter key per unit and window (``KeySchema/fixedCounterKey(unitName:windowSeconds:windowIndex:)``).
    case keys
    /// A window's counters as fields of `count` hashes (``KeySchema/bucketKey(windowSeconds:windowIndex:bucket:)``).
    case buckets(count: Int)

    /// The default number of hashes per window: compact up to about a million units per window (1.4 million
    /// before the first hash outgrows the listpack), at about 1.6 MB of per-hash overhead for a window of few units.
    public static let defaultBucketCount = 16384

    /// The most hashes per window a configuration may ask for.
    public static let maximumBucketCount = 1 << 20

    /// The hashes per window that keep `units` units per window compact: one per 64 units, at least one.
    public static func bucketCount(forUnits units: Int) -> Int {
        min(maximumBucketCount, max(1, units / 64 + (units % 64 > 0 ? 1 : 0)))
    }

    /// The configuration's name of the layout: `keys` or `buckets`.
    public var name: String {
        switch self {
        case .keys: "keys"
        case .buckets: "buckets"
        }
    }

    /// The hash a unit's counter lives in: 32-bit FNV-1a of the unit's name, modulo `count`.
    ///
    /// Every worker and every tool must agree on it, and so must every version that reads counters another wrote:
    /// it is part of the key layout, like the key names, and may not change.
    public static func bucket(ofName name: UnsafeRawBufferPointer, count: Int) -> Int {
        var hash: UInt32 = 2_166_136_261
        for byte in name {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        return Int(hash) % max(1, count)
    }

    /// ``bucket(ofName:count:)`` of `unit`'s name, formatted on the stack.
    public static func bucket(of unit: DetectionUnit, count: Int) -> Int {
        unit.withName { bucket(ofName: $0, count: count) }
    }

    /// ``bucket(ofName:count:)`` of a name given as text.
    public static func bucket(ofName name: String, count: Int) -> Int {
        var name = name
        return name.withUTF8 { bucket(ofName: UnsafeRawBufferPointer($0), count: count) }
    }
}
