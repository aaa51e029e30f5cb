import NIOCore

/// One of the 16384 hash slots of a Redis Cluster, and the function that maps a key to its slot.
///
/// A key's slot is CRC16 (the XMODEM variant Redis uses: polynomial 0x1021, initial value 0, no reflection, no
/// final XOR) of the key modulo 16384. When the key holds a hash tag, only the tag is hashed: the tag is the bytes
/// between the first `{` and the first `}` after it, provided they are not empty, so `{user1000}.following` and
/// `{user1000}.followers` share a slot while `foo{}{bar}` is hashed whole. Keys are bytes, not text: the slot is
/// computed over the exact bytes sent to the server. Computing it does not allocate (the 256-entry CRC
/// table is built once, on first use); arrays, strings and buffers are read in place.
public struct RedisHashSlot: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// How many slots a cluster has.
    public static let count = 16384

    /// Every slot, from 0 to 16383.
    public static let all: ClosedRange<UInt16> = 0...UInt16(count - 1)

    /// The slot number, from 0 to 16383.
    public let rawValue: UInt16

    /// The slot numbered `rawValue`, or nil when the number is 16384 or more.
    public init?(rawValue: UInt16) {
        guard Int(rawValue) < Self.count else { return nil }
        self.rawValue = rawValue
    }

    /// The slot numbered `value`, or nil when the number is outside 0...16383.
    public init?(_ value: some BinaryInteger) {
        guard value >= 0, value < Self.count else { return nil }
        self.rawValue = UInt16(value)
    }

    /// The slot of `key`, whose bytes may come from any collection: an array, a slice, `String.UTF8View`.
    ///
    /// Contiguous collections are hashed through their storage; other collections are walked twice (once to
    /// find the hash tag, once to hash it), never copied.
    public init(key: some Collection<UInt8>) {
        if let slot = key.withContiguousStorageIfAvailable({ Self.slot(ofContiguous: $0) }) {
            rawValue = slot
        } else {
            rawValue = UInt16(Self.crc16(Self.hashedPart(of: key)) % UInt16(Self.count))
        }
    }

    /// The slot of the key made of the readable bytes of `key`; the buffer is read in place, not copied.
    public init(key: ByteBuffer) {
        rawValue = key.withUnsafeReadableBytes { Self.slot(ofContiguous: $0) }
    }

    /// The slot of `key`'s UTF-8 bytes, which are the bytes a command carrying this key sends.
    public init(key: String) {
        var key = key
        // A native string hands out its UTF-8 storage without copying; a bridged one is made native first.
        rawValue = key.withUTF8 { Self.slot(ofContiguous: $0) }
    }

    /// The bytes of `key` that decide its slot: the hash tag when the key has a non-empty one, else the whole key.
    ///
    /// The tag starts after the key's first `{` and ends at the first `}` after that, so `foo{{bar}}zap` is hashed
    /// as `{bar` and `foo{bar}{zap}` as `bar`; an empty tag (`foo{}{bar}`) or an unclosed one (`foo{bar`) means
    /// the whole key is hashed.
    public static func hashedPart<Bytes: Collection<UInt8>>(of key: Bytes) -> Bytes.SubSequence {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")) else { return key[...] }
        let tagStart = key.index(after: open)
        guard let close = key[tagStart...].firstIndex(of: UInt8(ascii: "}")), close != tagStart else {
            return key[...]
        }
        return key[tagStart..<close]
    }

    /// CRC16/XMODEM of `bytes`, the checksum cluster slots are derived from; `crc16("123456789")` is 0x31C3.
    public static func crc16(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ crc16Table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
        }
        return crc
    }

    /// One entry per value of the register's high byte: the CRC of that byte followed by eight zero bits.
    static let crc16Table: [UInt16] = (0...255).map { (index: Int) -> UInt16 in
        var crc = UInt16(index) << 8
        for _ in 0..<8 {
            crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        return crc
    }

    static func slot(ofContiguous key: UnsafeBufferPointer<UInt8>) -> UInt16 {
        slot(ofContiguous: UnsafeRawBufferPointer(key))
    }

    /// The slot of contiguous key bytes, with plain index loops: no generic code, so no allocation even in
    /// unoptimised builds, where generic collection code allocates.
    static func slot(ofContiguous key: UnsafeRawBufferPointer) -> UInt16 {
        var start = 0
        var end = key.count
        var open = 0
        while open < key.count, key[open] != UInt8(ascii: "{") { open += 1 }
        if open < key.count {
            var close = open + 1
            while close < key.count, key[close] != UInt8(ascii: "}") { close += 1 }
            if close < key.count, close > open + 1 {
                start = open + 1
                end = close
            }
        }
        var crc: UInt16 = 0
        crc16Table.withUnsafeBufferPointer { table in
            var index = start
            while index < end {
                crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ key[index])]
                index += 1
            }
        }
        return crc % UInt16(count)
    }

    /// Orders slots by number.
    public static func < (lhs: RedisHashSlot, rhs: RedisHashSlot) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The slot number.
    public var description: String { String(rawValue) }
}
