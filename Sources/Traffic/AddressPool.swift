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
/// | `2001:db8:8000::` – `2001:db8:bfff::` | bots (and repeat offenders) beyond the first 254 |
/// | `2001:db8:c000::` – `2001:db8:cfff::` | rotating bots |
/// | `2001:db8:e000::` – `2001:db8:efff::` | straddling bursts beyond the first 254 |
/// | `2001:db8:f000::` – `2001:db8:ffff::` | IPv6 subnet farms, one range (a /48 by default) each |
///
/// Slow crawlers come from 198.19.0.0/16 and IPv4 subnet farms from 198.18.0.0/16, one range (a /24 by default)
/// each, from 198.18.1.0/24 on (RFC 2544's benchmarking space; `ipwatcher bench` keeps 198.18.0.0/24), so that no
/// user, bot or other kind ever shares a farm's range.
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
    private var crawlers: UInt32 = 0
    /// 198.18.0.0, the IPv4 farms' /16; 198.19.0.0/16 follows it for crawlers.
    static let farmIPv4Base: UInt32 = 0xC612_0000
    static let crawlerIPv4Base: UInt32 = 0xC613_0000

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
        return Self.address(straddles, v4Block: 0xC000_0200, thenIPv6Base: 0xE000_0000, size: 1 << 28, random: &random)
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
        return Self.subnet(base: 0xC000_0000, size: 1 << 28, index: rotates)
    }

    /// An address for a new slow crawler: 198.19.0.1 – 198.19.255.254, then again from the start.
    mutating func crawler() -> IPAddress {
        defer { crawlers = (crawlers + 1) % 65_534 }
        return .v4(Self.crawlerIPv4Base + crawlers + 1)
    }

    /// The addresses of farm number `number`: `bots` units then `fresh` units, all in one range of
    /// `ipv4Prefix` bits (even farms, inside 198.18.0.0/16) or `ipv6Prefix` bits (odd farms, inside
    /// 2001:db8:f000::/36, each IPv6 unit in a /64 of its own). Ranges shorter than the space they come from
    /// are cut to it, and farms wrap around once the space is used up; units then merge, which the truth handles.
    mutating func farm(
        number: UInt64, bots: Int, fresh: Int, ipv4Prefix: Int, ipv6Prefix: Int, random: inout SplitMix64
    ) -> [IPAddress] {
        let count = bots + fresh
        if number % 2 == 0 {
            let hostBits = UInt32(min(max(32 - ipv4Prefix, 0), 16))
            let ranges = UInt64(1) << (16 - hostBits)
            // Range 0 (198.18.0.0/24 by default) is left to `ipwatcher bench`, whose sentinel is 198.18.0.1.
            let index = ranges > 1 ? 1 + (number / 2) % (ranges - 1) : 0
            let base = Self.farmIPv4Base + UInt32(index) << hostBits
            let size = UInt32(1) << hostBits
            // Hosts from .1 up: bots first, then fresh addresses after a gap where the block allows one.
            let freshStart = size > UInt32(count) + 100 ? UInt32(101) : UInt32(bots) + 1
            return (0..<count).map { index in
                let host = index < bots ? UInt32(index) + 1 : freshStart + UInt32(index - bots)
                return .v4(base + host % max(size, 1))
            }
        }
        // /64 subnets per range: 2^(64 − prefix), the prefix held to 36 … 64 (the farms' /36 and a unit's /64).
        let subnetBits = UInt64(min(max(64 - ipv6Prefix, 0), 28))
        let ranges = UInt64(1) << (28 - subnetBits)
        let base = 0xF000_0000 + ((number / 2) % ranges) << subnetBits
        let size = UInt64(1) << subnetBits
        let freshStart = size > UInt64(count) + 0x100 ? UInt64(0x100) : UInt64(bots) + 1
        return (0..<count).map { index in
            let subnet = index < bots ? UInt64(index) + 1 : freshStart + UInt64(index - bots)
            return Self.host(in: Self.documentationPrefix | (base + subnet % max(size, 1)), random: &random)
        }
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
