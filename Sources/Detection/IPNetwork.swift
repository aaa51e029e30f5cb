/// A network: an address with its host bits cleared, and a prefix length.
///
/// Always canonical: host bits are cleared on creation, and a network inside `::ffff:0:0/96` (IPv4-mapped)
/// becomes the matching IPv4 network, so equal networks compare and hash equal however they were written.
public struct IPNetwork: Hashable, Sendable {
    /// The first address of the network (host bits cleared).
    public let address: IPAddress
    /// Leading bits that are fixed: `0...address.bitWidth`.
    public let prefixLength: Int

    /// The longest text ``description`` produces.
    public static let maximumTextLength = IPAddress.maximumTextLength + 4

    /// Creates the network of `prefixLength` bits that contains `address`.
    ///
    /// Never traps: `prefixLength` is clamped to `0...address.bitWidth`. An IPv4-mapped address with a
    /// prefix of 96 or more becomes an IPv4 network with 96 fewer bits (`::ffff:10.0.0.0/104` is
    /// `10.0.0.0/8`), matching how ``contains(_:)`` and ``DetectionUnit`` unmap addresses.
    public init(address: IPAddress, prefixLength: Int) {
        var address = address
        var length = min(max(prefixLength, 0), address.bitWidth)
        if address.isIPv4Mapped, length >= 96 {
            address = address.unmappedIPv4
            length -= 96
        }
        self.address = address.masked(toPrefix: length)
        self.prefixLength = length
    }

    /// Parses CIDR notation (`198.51.100.0/24`, `2001:db8::/32`); a bare address is a full-length network.
    ///
    /// Set host bits are accepted and cleared (`10.0.0.1/8` is `10.0.0.0/8`), so operators may write a
    /// member address. The length must be plain decimal without sign or leading zeros and at most the
    /// address's width; out-of-range lengths are refused here, unlike the clamping memberwise initializer,
    /// because in text they are almost certainly typos.
    public init?(_ cidr: String) {
        var cidr = cidr
        guard let network = cidr.withUTF8({ IPNetwork.parse(UnsafeRawBufferPointer($0)) }) else { return nil }
        self = network
    }

    /// Parses the whole of `bytes` as CIDR notation, with the rules of ``init(_:)``.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> IPNetwork? {
        var slash = 0
        while slash < bytes.count, bytes[slash] != ASCII.slash { slash += 1 }
        guard let address = IPAddress.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<slash])) else {
            return nil
        }
        guard slash < bytes.count else {
            return IPNetwork(address: address, prefixLength: address.bitWidth)
        }
        let digitsStart = slash + 1
        let digitCount = bytes.count - digitsStart
        guard digitCount >= 1, digitCount <= 3 else { return nil }
        var length = 0
        for index in digitsStart..<bytes.count {
            let digit = bytes[index] &- ASCII.zero
            guard digit <= 9 else { return nil }
            length = length * 10 + Int(digit)
        }
        guard digitCount == 1 || bytes[digitsStart] != ASCII.zero, length <= address.bitWidth else {
            return nil
        }
        return IPNetwork(address: address, prefixLength: length)
    }

    /// Whether `address` is in this network.
    ///
    /// The address is unmapped first and must then be of the network's family: an IPv4 network contains
    /// `::ffff:10.1.2.3` but no other IPv6 address, and an IPv6 network (even `::/0`) contains no IPv4
    /// address. That is the view ``DetectionUnit`` takes, so an allowlist entry and a unit agree.
    public func contains(_ address: IPAddress) -> Bool {
        let candidate = address.unmappedIPv4
        guard candidate.isIPv4 == self.address.isIPv4 else { return false }
        return candidate.masked(toPrefix: prefixLength) == self.address
    }

    /// Whether the prefix covers the whole address, so the network is a single address.
    public var isSingleAddress: Bool { prefixLength == address.bitWidth }
}
