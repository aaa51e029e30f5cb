import Detection

/// Hands out distinct addresses per traffic kind from documentation and shared address space, so generated
/// traffic never names a real host and units of different kinds never collide.
///
/// Small runs get readable addresses from the IPv4 documentation ranges (RFC 5737): bots from
/// 203.0.113.0/24, shared (NAT) addresses from 198.51.100.0/24, straddling bursts from 192.0.2.0/24.
/// Large runs go on in ranges big enough for millions of units: users in 100.64.0.0/10 (RFC 6598 shared
/// address space) and, for a quarter of them, IPv6; every IPv6 unit is its own /64 inside the documentation
/// prefix 2001:db8::/32 (RFC 3849), which is carved by the 32 bits after it:
///
/// | subnets | kind |
/// | --- | --- |
/// | `2001:db8:0000::` – `2001:db8:7fff::` | users |
/// | `2001:db8:8000::` – `2001:db8:bfff::` | bots beyond the first 254 |
/// | `2001:db8:c000::` – `2001:db8:dfff::` | rotating bots |
/// | `2001:db8:e000::` – `2001:db8:ffff::` | straddling bursts beyond the first 254 |
///
/// A range that runs out starts again from its beginning; units then merge, which the ground truth
/// handles (it is kept per unit), but no realistic run gets there except for NAT addresses past 65,790.
struct AddressPool: Sendable {
    /// The IPv4 user range: 100.64.0.1 up to 100.126.255.255; 100.127.0.0/16 is kept for NAT addresses.
    static let userIPv4Base: UInt32 = 0x6440_0000
    static let userIPv4Count: UInt32 = 63 * 65_536
    static let natOverflowBase: UInt32 = 0x647F_0000
    static let natOverflowCount: UInt32 = 65_536
    static let documentationPrefix: UInt64 = 0x2001_0DB8 << 32

    private var usersV4: UInt32 = 0
    private var usersV6: UInt64 = 0
    private var bots: UInt64 = 0
    private var nats: UInt64 = 0
    private var straddles: UInt64 = 0
    private var rotates: UInt64 = 0

    /// An address for a new user: IPv6 (a random interface in a fresh /64) one time in four, else IPv4.
    mutating func user(using random: inout SplitMix64) -> IPAddress {
        if random.next() & 3 == 0 || usersV4 + 1 >= Self.userIPv4Count {
            defer { usersV6 &+= 1 }
            return Self.host(in: Self.subnet(base: 0, size: 1 << 31, index: usersV6), random: &random)
        }
        usersV4 += 1
        return .v4(Self.userIPv4Base + usersV4)
    }

    /// An address for a new bot: 203.0.113.1–254, then single addresses in fresh IPv6 /64s.
    mutating func bot(using random: inout SplitMix64) -> IPAddress {
        defer { bots &+= 1 }
        return Self.address(bots, v4Block: 0xCB00_7100, thenIPv6Base: 0x8000_0000, size: 1 << 30, random: &random)
    }

    /// An address shared by many users: 198.51.100.1–254, then 100.127.0.0/16. Always IPv4, since that is
    /// where address sharing happens.
    mutating func nat() -> IPAddress {
        defer { nats &+= 1 }
        if nats < 254 { return .v4(0xC633_6400 + UInt32(nats) + 1) }
        return .v4(Self.natOverflowBase + UInt32((nats - 254) % UInt64(Self.natOverflowCount)))
    }

    /// An address for a straddling burst: 192.0.2.1–254, then single addresses in fresh IPv6 /64s.
    mutating func straddle(using random: inout SplitMix64) -> IPAddress {
        defer { straddles &+= 1 }
        return Self.address(straddles, v4Block: 0xC000_0200, thenIPv6Base: 0xE000_0000, size: 1 << 29, random: &random)
    }

    /// Address number `index` of a kind: `.1`–`.254` of the IPv4 /24 at `v4Block`, then a random host in /64
    /// number `index - 254` of the IPv6 range at `base` (see ``subnet(base:size:index:)``).
    private static func address(
        _ index: UInt64, v4Block: UInt32, thenIPv6Base base: UInt64, size: UInt64, random: inout SplitMix64
    ) -> IPAddress {
        if index < 254 { return .v4(v4Block + UInt32(index) + 1) }
        return host(in: subnet(base: base, size: size, index: index - 254), random: &random)
    }

    /// The upper 64 bits of a fresh /64 for a rotating bot; its requests pick random interface identifiers.
    mutating func rotatingSubnet() -> UInt64 {
        defer { rotates &+= 1 }
        return Self.subnet(base: 0xC000_0000, size: 1 << 29, index: rotates)
    }

    /// The upper 64 bits of /64 number `index` (wrapping at `size`) of the range starting at `base` after
    /// 2001:db8::/32; numbering starts at 1 so the first subnet is not the range's all-zero one.
    static func subnet(base: UInt64, size: UInt64, index: UInt64) -> UInt64 {
        documentationPrefix | (base + (index + 1) % size)
    }

    /// A random host in the /64 whose upper bits are `subnet`; never the all-zero interface identifier.
    static func host(in subnet: UInt64, random: inout SplitMix64) -> IPAddress {
        .v6(high: subnet, low: random.next() | 1)
    }
}
