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
        writeInteger(UInt8(ascii: "$"))
        writeDecimal(Int64(length))
        writeRESPCRLF()
    }

    /// Writes a whole bulk string.
    @inlinable
    public mutating func writeRESPBulk(_ bytes: UnsafeRawBufferPointer) {
        writeRESPBulkHeader(length: bytes.count)
        writeBytes(bytes)
        writeRESPCRLF()
    }

    /// Writes `value` in decimal without creating a String.
    @inlinable
    public mutating func writeDecimal(_ value: Int64) {
        if value < 0 { writeInteger(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var index = 20
            repeat {
                index -= 1
                digits[index] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30
                magnitude /= 10
            } while magnitude > 0
            writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(digits)[index..<20]))
        }
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
