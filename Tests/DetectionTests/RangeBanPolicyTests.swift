import Detection
import Testing

/// Which range an address or a unit belongs to, and which ranges overlap an allowlist.
@Suite("RangeBanPolicy")
struct RangeBanPolicyTests {
    let policy = RangeBanPolicy(ipv4Prefix: 24, ipv6Prefix: 48, minUnits: 3)

    @Test("an address's range is its /24 or /48, an IPv4-mapped address counting as IPv4")
    func rangeOfAddress() throws {
        #expect(policy.range(of: try #require(IPAddress("203.0.113.77"))).description == "203.0.113.0/24")
        #expect(policy.range(of: try #require(IPAddress("::ffff:203.0.113.77"))).description == "203.0.113.0/24")
        #expect(policy.range(of: try #require(IPAddress("2001:db8:1:2::9"))).description == "2001:db8:1::/48")
    }

    @Test("a unit's range contains it; a unit as wide as a range or wider has none")
    func rangeOfUnit() throws {
        let unit = DetectionUnit(address: try #require(IPAddress("2001:db8:1:2::9")), ipv4Prefix: 32, ipv6Prefix: 64)
        #expect(policy.range(of: unit)?.description == "2001:db8:1::/48")
        let wide = DetectionUnit(address: try #require(IPAddress("203.0.113.77")), ipv4Prefix: 24, ipv6Prefix: 64)
        #expect(policy.range(of: wide) == nil)
        #expect(policy.isRange(try #require(IPNetwork("203.0.113.0/24"))))
        #expect(!policy.isRange(try #require(IPNetwork("203.0.113.0/25"))))
    }

    @Test("a range overlaps an allowlist entry inside it, one that contains it, and no entry of the other family")
    func overlaps() throws {
        let range = try #require(IPNetwork("203.0.113.0/24"))
        #expect(RangeBanPolicy.overlaps(range, [try #require(IPNetwork("203.0.113.9/32"))]))
        #expect(RangeBanPolicy.overlaps(range, [try #require(IPNetwork("203.0.0.0/16"))]))
        #expect(!RangeBanPolicy.overlaps(range, [try #require(IPNetwork("203.0.114.0/24"))]))
        #expect(!RangeBanPolicy.overlaps(range, [try #require(IPNetwork("::/0"))]))
        #expect(!RangeBanPolicy().isOn && policy.isOn)
    }
}
