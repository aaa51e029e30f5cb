import Detection
import Glibc

/// Checks ``IPAddress`` and ``IPNetwork`` parsing and formatting against glibc's `inet_pton` and `inet_ntop`.
///
/// glibc's parser is an independent implementation of the same grammar (dotted decimal without leading zeros;
/// IPv6 groups of one to four hex digits, one `::` standing for at least one group, an optional dotted tail), so
/// any disagreement is a bug in one of them, and ours is the one that matters here.
enum AddressChecks {
    /// What glibc makes of `text`: the IPv6 parser when it holds a colon (as ours decides), otherwise IPv4.
    static func reference(_ text: [UInt8]) -> IPAddress? {
        // inet_pton reads a C string; an embedded NUL is never part of an address, and must be refused.
        guard !text.contains(0) else { return nil }
        let cString = text.map { CChar(bitPattern: $0) } + [0]
        var address = [UInt8](repeating: 0, count: 16)
        let ipv6 = text.contains(0x3A)
        let accepted = address.withUnsafeMutableBytes { inet_pton(ipv6 ? AF_INET6 : AF_INET, cString, $0.baseAddress) }
        guard accepted == 1 else { return nil }
        func bigEndian(_ range: Range<Int>) -> UInt64 { address[range].reduce(0) { $0 << 8 | UInt64($1) } }
        return ipv6 ? .v6(high: bigEndian(0..<8), low: bigEndian(8..<16)) : .v4(UInt32(bigEndian(0..<4)))
    }

    /// glibc's text for `address`, which follows RFC 5952 as our formatter does.
    static func referenceText(_ address: IPAddress) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        let family: Int32
        switch address {
        case .v4(let value):
            family = AF_INET
            for index in 0..<4 { bytes[index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index)) }
        case .v6(let high, let low):
            family = AF_INET6
            for index in 0..<8 {
                bytes[index] = UInt8(truncatingIfNeeded: high >> (56 - 8 * index))
                bytes[index + 8] = UInt8(truncatingIfNeeded: low >> (56 - 8 * index))
            }
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let written = bytes.withUnsafeBytes { source in
            text.withUnsafeMutableBufferPointer { inet_ntop(family, source.baseAddress, $0.baseAddress, socklen_t($0.count)) }
        }
        guard written != nil else { fatalError("inet_ntop refused \(address)") }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Stops unless our parser agrees with glibc on `text`, and any address it yields formats and re-parses exactly.
    static func check(_ text: [UInt8]) {
        let parsed = text.withUnsafeBytes { IPAddress.parse($0) }
        let expected = reference(text)
        guard parsed == expected else {
            fatalError("IPAddress.parse(\(escaped(text))) is \(String(describing: parsed)), glibc says \(String(describing: expected))")
        }
        guard let parsed else { return }
        let canonical = parsed.description
        let canonicalBytes = Array(canonical.utf8)
        guard canonicalBytes.count <= IPAddress.maximumTextLength,
            canonicalBytes.allSatisfy(UnitChecks.alphabet.contains), !canonicalBytes.contains(0x2F)
        else { fatalError("\(escaped(text)) formats as \(canonical.debugDescription), not canonical address text") }
        guard IPAddress(canonical) == parsed, IPAddress(canonical)?.description == canonical else {
            fatalError("\(escaped(text)) formats as \(canonical), which does not parse back to the same address")
        }
        // glibc writes deprecated IPv4-compatible addresses (`::a.b.c.d`) with a dotted tail; RFC 5952 does not.
        if case .v6(let high, let low) = parsed, high == 0, low >> 32 == 0, (low >> 16) & 0xFFFF != 0 {
            return
        }
        let glibcText = referenceText(parsed)
        guard canonical == glibcText else {
            fatalError("\(escaped(text)) formats as \(canonical), glibc (RFC 5952) writes \(glibcText)")
        }
    }

    /// Stops unless CIDR text that parses yields a canonical network whose text parses back to it.
    static func checkNetwork(_ text: [UInt8]) {
        guard let network = text.withUnsafeBytes({ IPNetwork.parse($0) }) else { return }
        let context = "IPNetwork.parse(\(escaped(text))) = \(network)"
        guard (0...network.address.bitWidth).contains(network.prefixLength),
            network.address.masked(toPrefix: network.prefixLength) == network.address,
            !network.address.isIPv4Mapped || network.prefixLength < 96
        else { fatalError("\(context) is not canonical") }
        guard IPNetwork(network.description) == network else { fatalError("\(context) does not re-parse") }
        let unit = DetectionUnit(network: network)
        UnitChecks.check(unit, name: unit.name, covering: network.address, context)
    }
}
