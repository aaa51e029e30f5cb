/// An IPv4 or IPv6 address as integers.
///
/// Integers rather than text make hashing, comparing and masking cheap on the hot path, and give every
/// address exactly one value: `2001:DB8::1` and `2001:db8:0::1` are the same `IPAddress`. An IPv4-mapped IPv6
/// address (`::ffff:1.2.3.4`) stays a distinct `.v6` value; ``unmappedIPv4`` folds it into `.v4` where the
/// two must count as one.
public enum IPAddress: Hashable, Sendable {
    /// An IPv4 address, most significant octet first (`1.2.3.4` is `0x0102_0304`).
    case v4(UInt32)
    /// An IPv6 address: `high` holds the first four groups, `low` the last four, each most significant first.
    case v6(high: UInt64, low: UInt64)

    /// Parses `text` as an IPv4 or IPv6 address; see ``parse(_:)`` for the accepted forms.
    ///
    /// A convenience for configuration, tools and tests; the hot path uses ``parse(_:)`` on raw bytes.
    public init?(_ text: String) {
        var text = text
        guard let address = text.withUTF8({ IPAddress.parse(UnsafeRawBufferPointer($0)) }) else { return nil }
        self = address
    }

    /// The longest text ``description`` produces (a full eight-group IPv6 address).
    public static let maximumTextLength = 39

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`); any other address unchanged.
    ///
    /// A dual-stack server reports IPv4 clients in mapped form, so without this the same client would be
    /// counted under two names depending on which socket accepted it.
    public var unmappedIPv4: IPAddress {
        if case .v6(let high, let low) = self, high == 0, low >> 32 == 0xFFFF {
            return .v4(UInt32(truncatingIfNeeded: low))
        }
        return self
    }

    /// Whether this is an IPv4-mapped IPv6 address (`::ffff:0:0/96`).
    public var isIPv4Mapped: Bool {
        if case .v6(let high, let low) = self { return high == 0 && low >> 32 == 0xFFFF }
        return false
    }

    /// Whether this is an IPv4 address; a mapped IPv6 address is not (see ``unmappedIPv4``).
    public var isIPv4: Bool {
        if case .v4 = self { return true }
        return false
    }

    /// Bits in the address: 32 for IPv4, 128 for IPv6; the largest valid prefix length.
    public var bitWidth: Int {
        switch self {
        case .v4: 32
        case .v6: 128
        }
    }

    /// The address with all but the first `length` bits cleared.
    ///
    /// `length` is clamped to `0...bitWidth`, so any value is safe: a negative length clears everything, a
    /// length beyond the width keeps everything. A mapped address is masked as IPv6; unmap it first to mask
    /// its IPv4 part.
    public func masked(toPrefix length: Int) -> IPAddress {
        let length = min(max(length, 0), bitWidth)
        switch self {
        case .v4(let value):
            // Smart shifts yield 0 when shifting by the full width, which is exactly the /0 mask.
            return .v4(value & (UInt32.max << (32 - length)))
        case .v6:
            return IPAddress(ipv6Bits: ipv6Bits & (UInt128.max << (128 - length)))
        }
    }
}

extension IPAddress {
    /// Builds a `.v6` address from its 128 bits.
    init(ipv6Bits bits: UInt128) {
        self = .v6(high: UInt64(truncatingIfNeeded: bits >> 64), low: UInt64(truncatingIfNeeded: bits))
    }

    /// The 128 bits of a `.v6` address; for `.v4`, its IPv4-mapped form's bits.
    var ipv6Bits: UInt128 {
        switch self {
        case .v4(let value):
            return 0xFFFF_0000_0000 | UInt128(value)
        case .v6(let high, let low):
            return UInt128(high) << 64 | UInt128(low)
        }
    }
}
