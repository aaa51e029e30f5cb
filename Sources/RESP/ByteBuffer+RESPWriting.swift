import NIOCore

extension ByteBuffer {
    /// Writes `\r\n`.
    @inlinable
    public mutating func writeRESPCRLF() {
        writeInteger(UInt16(0x0D0A))
    }

    /// Writes `$<length>\r\n`; the payload and its CRLF follow.
    @inlinable
    public mutating func writeRESPBulkHeader(length: Int) {
        writeRESPHeader(marker: UInt8(ascii: "$"), count: length)
    }

    /// Writes an aggregate or bulk header such as `*3\r\n`, in one write.
    @inlinable
    public mutating func writeRESPHeader(marker: UInt8, count: Int) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: 24) { out in
            Self.putHeader(marker: marker, count: count, into: out)
        }
    }

    /// Writes a whole bulk string — header, payload and CRLF — in one write.
    ///
    /// One write per argument matters on the hot path: every `ByteBuffer` write pays for capacity and
    /// exclusivity checks, which dominate when arguments are a few bytes long.
    @inlinable
    public mutating func writeRESPBulk(_ bytes: UnsafeRawBufferPointer) {
        writeRESPBulk(parts: bytes, UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// Writes one bulk string made of two byte runs (such as a key prefix and a name), in one write.
    @inlinable
    public mutating func writeRESPBulk(parts first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) {
        let length = first.count + second.count
        writeWithUnsafeMutableBytes(minimumWritableBytes: length + 26) { out in
            var index = Self.putHeader(marker: UInt8(ascii: "$"), count: length, into: out)
            if let base = first.baseAddress, first.count > 0 {
                (out.baseAddress! + index).copyMemory(from: base, byteCount: first.count)
                index += first.count
            }
            if let base = second.baseAddress, second.count > 0 {
                (out.baseAddress! + index).copyMemory(from: base, byteCount: second.count)
                index += second.count
            }
            return Self.putCRLF(into: out, at: index)
        }
    }

    /// Writes `value` as a bulk string of its decimal digits, in one write.
    @inlinable
    public mutating func writeRESPBulkDecimal(_ value: Int64) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: 28) { out in
            var index = Self.putHeader(marker: UInt8(ascii: "$"), count: Self.decimalLength(of: value), into: out)
            index += Self.putDecimal(value, into: out, at: index)
            return Self.putCRLF(into: out, at: index)
        }
    }

    /// Writes `value` in decimal without creating a String.
    @inlinable
    public mutating func writeDecimal(_ value: Int64) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: 20) { out in
            Self.putDecimal(value, into: out, at: 0)
        }
    }

    /// Puts `<marker><count>\r\n` at the start of `out`; returns the index after it (at most 22).
    @inlinable
    static func putHeader(marker: UInt8, count: Int, into out: UnsafeMutableRawBufferPointer) -> Int {
        out[0] = marker
        return putCRLF(into: out, at: 1 + putDecimal(Int64(count), into: out, at: 1))
    }

    /// Puts `\r\n` at `index`; returns the index after it.
    @inlinable
    static func putCRLF(into out: UnsafeMutableRawBufferPointer, at index: Int) -> Int {
        out[index] = 0x0D
        out[index + 1] = 0x0A
        return index + 2
    }

    /// Puts `value`'s decimal digits (and sign) at `start`; returns how many bytes it wrote (at most 20).
    @inlinable
    static func putDecimal(_ value: Int64, into out: UnsafeMutableRawBufferPointer, at start: Int) -> Int {
        let length = decimalLength(of: value)
        var magnitude = value.magnitude
        var index = start + length
        repeat {
            index -= 1
            out[index] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30
            magnitude /= 10
        } while magnitude > 0
        if value < 0 { out[start] = UInt8(ascii: "-") }
        return length
    }

    /// Number of bytes ``writeDecimal(_:)`` writes for `value`, sign included.
    @inlinable
    public static func decimalLength(of value: Int64) -> Int {
        var magnitude = value.magnitude
        var length = value < 0 ? 2 : 1
        while magnitude >= 10 {
            magnitude /= 10
            length += 1
        }
        return length
    }
}
