import Detection
import NIOCore

/// Writes queue entries as RESP bulk strings straight into a byte buffer: no String per entry.
///
/// An entry is the address in canonical text, optionally followed by a space and the event time in Unix
/// milliseconds; at most 39 + 1 + 20 bytes, so its bulk header is `$` plus at most two digits. The web tier's
/// ``AddressRecorder`` and the synthetic feeder (`Traffic`) write entries with it, so both produce exactly
/// what the worker's parser reads.
package enum QueueEntryWriter {
    /// Room one entry can need in the buffer: header, longest address, space, a 20-digit time, CRLF.
    package static let maximumEncodedLength = 5 + IPAddress.maximumTextLength + 1 + 20 + 2

    /// Appends the entry of `address` (with `timeMilliseconds`, when given) to `buffer` as one bulk string.
    @inline(__always)
    package static func write(address: IPAddress, timeMilliseconds: Int64?, to buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: maximumEncodedLength) { space in
            // The payload goes after room for the longest header and moves back if the header is shorter.
            let payloadStart = 5
            guard
                let addressLength = address.write(
                    into: UnsafeMutableRawBufferPointer(rebasing: space[payloadStart...]))
            else { return 0 }
            var length = addressLength
            if let time = timeMilliseconds {
                space[payloadStart + length] = UInt8(ascii: " ")
                length += 1
                length += writeDecimal(time, to: space, at: payloadStart + length)
            }
            var cursor = 0
            space[cursor] = UInt8(ascii: "$")
            cursor += 1
            if length >= 10 {
                space[cursor] = UInt8(truncatingIfNeeded: length / 10) &+ 0x30
                cursor += 1
            }
            space[cursor] = UInt8(truncatingIfNeeded: length % 10) &+ 0x30
            space[cursor + 1] = 0x0D
            space[cursor + 2] = 0x0A
            cursor += 3
            if cursor != payloadStart, let base = space.baseAddress {
                (base + cursor).copyMemory(from: base + payloadStart, byteCount: length)
            }
            cursor += length
            space[cursor] = 0x0D
            space[cursor + 1] = 0x0A
            return cursor + 2
        }
    }

    /// Writes `value` in decimal at `offset` and returns the number of bytes; negative values get a sign.
    @inline(__always)
    private static func writeDecimal(_ value: Int64, to space: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        var magnitude = value.magnitude
        var digits = 1
        var probe = magnitude
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        var start = offset
        if value < 0 {
            space[offset] = UInt8(ascii: "-")
            start += 1
        }
        var index = start + digits - 1
        repeat {
            space[index] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30
            magnitude /= 10
            index -= 1
        } while magnitude > 0
        return digits + (value < 0 ? 1 : 0)
    }
}
