/// Appends ASCII into memory the caller has already checked is large enough.
///
/// The formatters size their buffers for the longest possible text up front, so appending needs no
/// per-byte bounds check and no allocation.
struct TextCursor {
    private let buffer: UnsafeMutableRawBufferPointer
    /// Bytes written so far.
    private(set) var count = 0

    /// Starts writing at the beginning of `buffer`; the caller guarantees room for everything appended.
    init(_ buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    /// The text `write` appends, formatted straight into a new String's storage of `capacity` bytes.
    @inline(__always)
    static func string(capacity: Int, _ write: (inout TextCursor) -> Void) -> String {
        String(unsafeUninitializedCapacity: capacity) { buffer in
            var cursor = TextCursor(UnsafeMutableRawBufferPointer(buffer))
            write(&cursor)
            return cursor.count
        }
    }

    /// Writes what `write` appends to the start of `buffer` and returns how many bytes that was, or nil
    /// without writing when `buffer` is smaller than `capacity` (the longest text), whatever the value.
    @inline(__always)
    static func write(
        into buffer: UnsafeMutableRawBufferPointer, capacity: Int, _ write: (inout TextCursor) -> Void
    ) -> Int? {
        guard buffer.count >= capacity else { return nil }
        var cursor = TextCursor(buffer)
        write(&cursor)
        return cursor.count
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        // Bounds are checked in debug builds only; release builds rely on the caller's sizing.
        buffer.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    /// Appends a value below 1000 in decimal without leading zeros (octets, prefix lengths).
    @inline(__always)
    mutating func appendSmallDecimal(_ value: Int) {
        if value >= 100 { append(ASCII.zero &+ UInt8(truncatingIfNeeded: value / 100 % 10)) }
        if value >= 10 { append(ASCII.zero &+ UInt8(truncatingIfNeeded: value / 10 % 10)) }
        append(ASCII.zero &+ UInt8(truncatingIfNeeded: value % 10))
    }

    /// Appends a 16-bit group in lower-case hex without leading zeros.
    @inline(__always)
    mutating func appendHexGroup(_ group: UInt16) {
        var shift: UInt16 = 12
        while shift > 0, (group >> shift) & 0xF == 0 { shift -= 4 }
        while true {
            append(ASCII.hexDigit(UInt8(truncatingIfNeeded: (group >> shift) & 0xF)))
            if shift == 0 { break }
            shift -= 4
        }
    }

    /// Appends an IPv4 address in dotted decimal.
    @inline(__always)
    mutating func appendIPv4(_ value: UInt32) {
        appendSmallDecimal(Int(value >> 24))
        append(ASCII.dot)
        appendSmallDecimal(Int((value >> 16) & 0xFF))
        append(ASCII.dot)
        appendSmallDecimal(Int((value >> 8) & 0xFF))
        append(ASCII.dot)
        appendSmallDecimal(Int(value & 0xFF))
    }
}
