extension IPAddress: CustomStringConvertible {
    /// The canonical text: dotted decimal for IPv4, RFC 5952 for IPv6.
    ///
    /// RFC 5952: lower-case hex, no leading zeros, the longest run of two or more zero groups written as
    /// `::` (the leftmost run on ties), and IPv4-mapped addresses as `::ffff:1.2.3.4`. One address has
    /// exactly one text, so it can serve as a Redis key and be parsed back to the same value.
    public var description: String {
        TextCursor.string(capacity: IPAddress.maximumTextLength) { write(to: &$0) }
    }

    /// Writes ``description``'s bytes to the start of `buffer` and returns how many were written.
    ///
    /// Needs ``maximumTextLength`` bytes of room whatever the address, and returns nil without writing
    /// when given less, so the check does not depend on the value.
    public func write(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        TextCursor.write(into: buffer, capacity: IPAddress.maximumTextLength) { write(to: &$0) }
    }

    /// Appends the canonical text; at most ``maximumTextLength`` bytes.
    func write(to cursor: inout TextCursor) {
        switch self {
        case .v4(let value):
            cursor.appendIPv4(value)
        case .v6(let high, let low):
            if high == 0, low >> 32 == 0xFFFF {
                for byte in "::ffff:".utf8 { cursor.append(byte) }
                cursor.appendIPv4(UInt32(truncatingIfNeeded: low))
                return
            }
            Self.writeIPv6(high: high, low: low, to: &cursor)
        }
    }

    private static func writeIPv6(high: UInt64, low: UInt64, to cursor: inout TextCursor) {
        @inline(__always) func group(_ index: Int) -> UInt16 {
            let half = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> (48 - 16 * (index & 3)))
        }
        // Strictly longer runs replace the best one, so the leftmost wins a tie.
        var bestStart = -1
        var bestLength = 0
        var runStart = 0
        var runLength = 0
        for index in 0..<8 {
            if group(index) == 0 {
                if runLength == 0 { runStart = index }
                runLength += 1
                if runLength > bestLength {
                    bestStart = runStart
                    bestLength = runLength
                }
            } else {
                runLength = 0
            }
        }
        // A lone zero group is written as "0": "::" must save more than it costs.
        if bestLength < 2 {
            bestStart = -1
            bestLength = 0
        }
        var index = 0
        while index < 8 {
            if index == bestStart {
                cursor.append(ASCII.colon)
                cursor.append(ASCII.colon)
                index += bestLength
                continue
            }
            if index > 0, index != bestStart + bestLength { cursor.append(ASCII.colon) }
            cursor.appendHexGroup(group(index))
            index += 1
        }
    }
}
