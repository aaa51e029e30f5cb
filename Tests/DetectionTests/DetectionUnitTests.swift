import Detection
import Testing
import Traffic

@Suite("Detection units")
struct DetectionUnitTests {
    @Test(
        "a unit is named by its address at full length and by its network otherwise",
        arguments: [
            ("203.0.113.7", 32, 64, "203.0.113.7"),
            ("198.51.100.77", 24, 64, "198.51.100.0/24"),
            ("198.51.100.77", 0, 64, "0.0.0.0/0"),
            ("198.51.100.77", 40, 64, "198.51.100.77"),
            ("2001:db8::1", 32, 128, "2001:db8::1"),
            ("2001:db8:1:2:aaaa::1", 32, 64, "2001:db8:1:2::/64"),
            ("2001:db8:1:2:aaaa::1", 32, 48, "2001:db8:1::/48"),
            ("2001:db8::1", 32, 0, "::/0"),
            ("::1", 32, 64, "::/64"),
            ("::ffff:203.0.113.7", 32, 64, "203.0.113.7"),
            ("::ffff:198.51.100.77", 24, 64, "198.51.100.0/24"),
            ("::ffff:198.51.100.77", 32, 0, "198.51.100.77"),
            ("64:ff9b::1.2.3.4", 32, 128, "64:ff9b::102:304"),
        ])
    func naming(address: String, ipv4Prefix: Int, ipv6Prefix: Int, expected: String) throws {
        let unit = DetectionUnit(address: try #require(IPAddress(address)), ipv4Prefix: ipv4Prefix, ipv6Prefix: ipv6Prefix)
        #expect(unit.name == expected)
        #expect(unit.description == expected)
    }

    @Test("addresses rotating within one /64 are one unit")
    func rotationWithinPrefixIsOneUnit() {
        var random = SplitMix64(seed: 31)
        let base: UInt64 = 0x2001_0DB8_0001_0002
        let first = DetectionUnit(address: .v6(high: base, low: 1), ipv4Prefix: 32, ipv6Prefix: 64)
        var units: Set<DetectionUnit> = []
        for _ in 0..<1000 {
            let unit = DetectionUnit(address: .v6(high: base, low: random.next()), ipv4Prefix: 32, ipv6Prefix: 64)
            #expect(unit == first)
            #expect(unit.hashValue == first.hashValue)
            units.insert(unit)
        }
        #expect(units.count == 1)
        #expect(first.name == "2001:db8:1:2::/64")
        let neighbour = DetectionUnit(address: .v6(high: base + 1, low: 1), ipv4Prefix: 32, ipv6Prefix: 64)
        #expect(neighbour != first)
    }

    @Test("an IPv4 client is one unit whether reported plain or IPv4-mapped")
    func mappedAndPlainAreOneUnit() throws {
        let plain = DetectionUnit(address: try #require(IPAddress("203.0.113.7")), ipv4Prefix: 32, ipv6Prefix: 64)
        let mapped = DetectionUnit(address: try #require(IPAddress("::ffff:203.0.113.7")), ipv4Prefix: 32, ipv6Prefix: 64)
        #expect(plain == mapped)
        #expect(Set([plain, mapped]).count == 1)
    }

    @Test("withName hands over exactly the bytes of name", arguments: [41, 43, 47] as [UInt64])
    func withNameMatchesName(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        for _ in 0..<1000 {
            let unit = DetectionUnit(
                address: random.anyAddress(),
                ipv4Prefix: Int.random(in: 0...32, using: &random),
                ipv6Prefix: Int.random(in: 0...128, using: &random))
            let bytes = unit.withName { Array($0) }
            #expect(bytes == Array(unit.name.utf8))
            #expect(bytes.count <= DetectionUnit.maximumNameLength)
        }
    }

    @Test("parse(name:) inverts name", arguments: [53, 59] as [UInt64])
    func parseInvertsName(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        for _ in 0..<1000 {
            let unit = DetectionUnit(
                address: random.anyAddress(),
                ipv4Prefix: Int.random(in: 0...32, using: &random),
                ipv6Prefix: Int.random(in: 0...128, using: &random))
            #expect(DetectionUnit.parse(name: unit.name) == unit, "\(unit.name)")
        }
    }

    @Test(
        "parse(name:) accepts other spellings and returns the canonical unit",
        arguments: [
            ("2001:DB8::/32", "2001:db8::/32"),
            ("1.2.3.4/32", "1.2.3.4"),
            ("10.0.0.1/8", "10.0.0.0/8"),
            ("::ffff:1.2.3.4", "1.2.3.4"),
            ("2001:db8::1/128", "2001:db8::1"),
        ])
    func parseNameCanonicalizes(text: String, canonical: String) {
        #expect(DetectionUnit.parse(name: text)?.name == canonical)
    }

    @Test(
        "parse(name:) refuses what is not an address or network",
        arguments: ["", "blocklist", "1.2.3.4/33", "1.2.3.4 ", "ipwatcher:bans", "2001:db8::/64/1", "*"])
    func parseNameRefusesGarbage(text: String) {
        #expect(DetectionUnit.parse(name: text) == nil)
    }

    @Test("the longest possible name fits maximumNameLength, and write(into:) needs that much room")
    func longestName() throws {
        let unit = try #require(DetectionUnit.parse(name: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"))
        #expect(unit.name.utf8.count == DetectionUnit.maximumNameLength)
        #expect(unit.withName { $0.count } == DetectionUnit.maximumNameLength)
        var bytes = [UInt8](repeating: 0, count: DetectionUnit.maximumNameLength)
        #expect(bytes.withUnsafeMutableBytes { unit.write(into: $0) } == DetectionUnit.maximumNameLength)
        #expect(bytes == Array(unit.name.utf8))
        var short = [UInt8](repeating: 0, count: DetectionUnit.maximumNameLength - 1)
        #expect(short.withUnsafeMutableBytes { unit.write(into: $0) } == nil)
    }

    @Test("withName passes on errors thrown by its body")
    func withNameRethrows() throws {
        struct Marker: Error {}
        let unit = try #require(DetectionUnit.parse(name: "1.2.3.4"))
        #expect(throws: Marker.self) { try unit.withName { _ in throw Marker() } }
    }

    @Test("a unit made from a network covers exactly that network")
    func unitFromNetwork() throws {
        let network = try #require(IPNetwork("198.51.100.0/24"))
        let unit = DetectionUnit(network: network)
        #expect(unit.network == network)
        #expect(unit == DetectionUnit(address: try #require(IPAddress("198.51.100.200")), ipv4Prefix: 24, ipv6Prefix: 64))
    }
}
