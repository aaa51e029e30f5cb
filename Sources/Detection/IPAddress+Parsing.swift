extension IPAddress {
    /// The longest text any accepted address can have: `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`.
    static let maximumParsableLength = 45

    /// Parses the whole of `bytes` as an IPv4 or IPv6 address, without allocating.
    ///
    /// IPv4: dotted decimal, exactly four parts of 0–255, no empty parts and no leading zeros (`01.2.3.4` is
    /// refused because some parsers read it as octal). IPv6: one to four hex digits per group in either
    /// case, `::` at most once, optionally ending in an embedded IPv4 address (`::ffff:1.2.3.4`). Anything
    /// else in the buffer — surrounding whitespace, brackets, a zone id (`%eth0`), a port — makes it nil.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> IPAddress? {
        let count = bytes.count
        guard count > 0, count <= maximumParsableLength else { return nil }
        var index = 0
        while index < count {
            if bytes[index] == ASCII.colon {
                guard let bits = parseIPv6(bytes) else { return nil }
                return IPAddress(ipv6Bits: bits)
            }
            index += 1
        }
        guard let value = parseIPv4(bytes, from: 0, to: count) else { return nil }
        return .v4(value)
    }

    /// Parses `bytes[start..<end]` as a dotted-decimal IPv4 address.
    static func parseIPv4(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> UInt32? {
        var result: UInt32 = 0
        var part: UInt32 = 0
        var digits = 0
        var dots = 0
        var index = start
        while index < end {
            let byte = bytes[index]
            index += 1
            if byte == ASCII.dot {
                guard digits > 0, dots < 3 else { return nil }
                dots += 1
                result = result << 8 | part
                part = 0
                digits = 0
                continue
            }
            let digit = byte &- ASCII.zero
            guard digit <= 9 else { return nil }
            // A second digit after a leading "0" would make an octal-looking part.
            guard digits == 0 || part != 0 else { return nil }
            part = part * 10 + UInt32(digit)
            digits += 1
            guard part <= 255 else { return nil }
        }
        guard digits > 0, dots == 3 else { return nil }
        return result << 8 | part
    }

    /// Parses the whole of `bytes` as an IPv6 address; the caller has seen at least one colon.
    static func parseIPv6(_ bytes: UnsafeRawBufferPointer) -> UInt128? {
        let count = bytes.count
        guard count >= 2 else { return nil }
        // Groups before "::" go to `head`, groups after it to `tail`; without "::" everything is `head`.
        var head = IPv6Groups()
        var tail = IPv6Groups()
        var compressed = false
        var index = 0
        if bytes[0] == ASCII.colon {
            guard bytes[1] == ASCII.colon else { return nil }
            compressed = true
            index = 2
            if index == count { return 0 }
        }
        while true {
            let groupStart = index
            var group: UInt32 = 0
            var digits = 0
            while index < count, let nibble = hexValue(bytes[index]) {
                digits += 1
                guard digits <= 4 else { return nil }
                group = group << 4 | UInt32(nibble)
                index += 1
            }
            guard digits > 0 else { return nil }
            if index < count, bytes[index] == ASCII.dot {
                // An embedded IPv4 address fills the last two groups and must end the text.
                guard head.count + tail.count <= 6,
                    let ipv4 = parseIPv4(bytes, from: groupStart, to: count)
                else { return nil }
                if compressed { tail.append(UInt128(ipv4), groups: 2) } else { head.append(UInt128(ipv4), groups: 2) }
                break
            }
            guard head.count + tail.count < 8 else { return nil }
            if compressed { tail.append(UInt128(group), groups: 1) } else { head.append(UInt128(group), groups: 1) }
            if index == count { break }
            guard bytes[index] == ASCII.colon else { return nil }
            index += 1
            guard index < count else { return nil }
            if bytes[index] == ASCII.colon {
                guard !compressed else { return nil }
                compressed = true
                index += 1
                if index == count { break }
            }
        }
        if compressed {
            // "::" stands for at least one zero group.
            guard head.count + tail.count <= 7 else { return nil }
            // With no head groups the shift is by 128, which smart shifts turn into 0.
            return head.bits << (16 * (8 - head.count)) | tail.bits
        }
        guard head.count == 8 else { return nil }
        return head.bits
    }

    /// The value of an ASCII hex digit in either case.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case ASCII.zero...ASCII.nine: byte &- ASCII.zero
        case ASCII.upperA...ASCII.upperF: byte &- (ASCII.upperA &- 10)
        case ASCII.lowerA...ASCII.lowerF: byte &- (ASCII.lowerA &- 10)
        default: nil
        }
    }
}

/// The 16-bit groups of one side of an IPv6 address's `::`, as the bits they make and how many there are.
private struct IPv6Groups {
    var bits: UInt128 = 0
    var count = 0

    /// Appends `groups` groups (1, or 2 for an embedded IPv4 address) after those already read.
    @inline(__always)
    mutating func append(_ value: UInt128, groups: Int) {
        bits = bits << (16 * groups) | value
        count += groups
    }
}
