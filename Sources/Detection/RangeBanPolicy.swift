/// When a whole network is banned: once ``minUnits`` units inside one range of ``ipv4Prefix`` (IPv4) or
/// ``ipv6Prefix`` (IPv6) bits are banned at the same time, the range is banned too.
///
/// A botnet renting addresses from one provider, or one client rotating through a /48, shows up as many units
/// of one network; banning the network refuses its fresh addresses before they cross a threshold (CrowdSec's
/// `IpToRange`). A range is named `network/length` (`203.0.113.0/24`, `2001:db8:1::/48`) and is always wider
/// than a unit, so a range and a unit never share a name. Pure: the ban script applies the policy in Redis.
public struct RangeBanPolicy: Hashable, Sendable {
    /// Bits of an IPv4 range: 24 by default.
    public var ipv4Prefix: Int = 24
    /// Bits of an IPv6 range: 48 by default.
    public var ipv6Prefix: Int = 48
    /// Units banned at once inside one range that ban the range; 0 turns range bans off.
    public var minUnits: Int = 0

    /// Creates the policy; the defaults leave range bans off.
    public init(ipv4Prefix: Int = 24, ipv6Prefix: Int = 48, minUnits: Int = 0) {
        self.ipv4Prefix = ipv4Prefix
        self.ipv6Prefix = ipv6Prefix
        self.minUnits = minUnits
    }

    /// Whether ranges are banned at all (``minUnits`` above 0).
    public var isOn: Bool { minUnits > 0 }

    /// The range `address` belongs to, as the web tier checks it: the address (unmapped) cut to the range
    /// prefix of its family.
    public func range(of address: IPAddress) -> IPNetwork {
        let address = address.unmappedIPv4
        return IPNetwork(address: address, prefixLength: address.isIPv4 ? ipv4Prefix : ipv6Prefix)
    }

    /// The range `unit` belongs to; nil when the unit is not narrower than a range (units counted per /24 with
    /// /24 ranges), since banning such a "range" would only ban the unit again.
    public func range(of unit: DetectionUnit) -> IPNetwork? {
        let network = unit.network
        let length = network.address.isIPv4 ? ipv4Prefix : ipv6Prefix
        guard length < network.prefixLength else { return nil }
        return IPNetwork(address: network.address, prefixLength: length)
    }

    /// Whether `range` has the length of this policy's ranges for its family, so it is one the web tier looks
    /// up (`SISMEMBER <ranges key> <range of the client>`).
    public func isRange(_ network: IPNetwork) -> Bool {
        network.prefixLength == (network.address.isIPv4 ? ipv4Prefix : ipv6Prefix)
    }

    /// Whether `range` and any network of `allowlist` share an address: such a range is never banned, since its
    /// ban would refuse an allowlisted client.
    public static func overlaps(_ range: IPNetwork, _ allowlist: [IPNetwork]) -> Bool {
        allowlist.contains { allowed in
            allowed.address.isIPv4 == range.address.isIPv4
                && (range.contains(allowed.address) || allowed.contains(range.address))
        }
    }
}
