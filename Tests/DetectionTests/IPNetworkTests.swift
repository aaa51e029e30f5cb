import Detection
import Testing
import Traffic

@Suite("IP networks")
struct IPNetworkTests {
    @Test(
        "CIDR text parses to the canonical network",
        arguments: [
            ("198.51.100.0/24", "198.51.100.0/24"),
            ("2001:db8::/32", "2001:db8::/32"),
            ("2001:DB8::/32", "2001:db8::/32"),
            ("10.0.0.1/8", "10.0.0.0/8"),
            ("2001:db8:1:2:aaaa::1/64", "2001:db8:1:2::/64"),
            ("203.0.113.7", "203.0.113.7/32"),
            ("2001:db8::1", "2001:db8::1/128"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("1.2.3.4/0", "0.0.0.0/0"),
            ("::/0", "::/0"),
            ("::1/128", "::1/128"),
            ("127.0.0.0/8", "127.0.0.0/8"),
            ("255.255.255.255/32", "255.255.255.255/32"),
            ("1.2.3.4/9", "1.0.0.0/9"),
            ("::ffff:10.0.0.0/104", "10.0.0.0/8"),
            ("::ffff:10.1.2.3", "10.1.2.3/32"),
            ("::ffff:10.1.2.3/128", "10.1.2.3/32"),
            ("::ffff:0:0/96", "0.0.0.0/0"),
            ("::ffff:10.1.2.3/95", "::fffe:0:0/95"),
            ("::ffff:10.1.2.3/64", "::/64"),
            ("64:ff9b::1.2.3.4/96", "64:ff9b::/96"),
        ])
    func parsesCIDR(text: String, canonical: String) throws {
        let network = try #require(IPNetwork(text))
        #expect(network.description == canonical)
        #expect(IPNetwork(canonical) == network)
    }

    @Test(
        "malformed CIDR text is refused",
        arguments: [
            "", "/8", "1.2.3.4/", "1.2.3.4/33", "::/129", "1.2.3.4/-1", "1.2.3.4/+8", "1.2.3.4/08", "::/064",
            "1.2.3.4/8/8", "1.2.3.4//8", "1.2.3.4 /8", "1.2.3.4/ 8", "1.2.3.4/8 ", " 1.2.3.4/8", "300.1.1.1/8",
            "1.2.3.4/1000", "1.2.3.4/a", "1.2.3.4/8a", "[::1]/128", "fe80::1%eth0/64", "1.2.3.4/0x8",
            "::ffff:10.0.0.0/129", "localhost/8",
        ])
    func refusesMalformedCIDR(text: String) {
        #expect(IPNetwork(text) == nil)
    }

    @Test("every valid length parses for both families")
    func everyLengthParses() {
        for length in 0...32 {
            #expect(IPNetwork("255.255.255.255/\(length)")?.prefixLength == length)
        }
        for length in 0...128 {
            #expect(IPNetwork("2001:db8::1/\(length)")?.prefixLength == length)
        }
    }

    @Test(
        "the memberwise initializer clamps the length and clears host bits",
        arguments: [
            ("1.2.3.4", 40, "1.2.3.4/32"),
            ("1.2.3.4", -5, "0.0.0.0/0"),
            ("1.2.3.4", 24, "1.2.3.0/24"),
            ("2001:db8::1", 200, "2001:db8::1/128"),
            ("2001:db8::1", -1, "::/0"),
            ("2001:db8::1", 16, "2001::/16"),
            ("::ffff:10.1.2.3", 104, "10.0.0.0/8"),
            ("::ffff:10.1.2.3", 500, "10.1.2.3/32"),
        ])
    func memberwiseInitializerCanonicalizes(address: String, length: Int, expected: String) throws {
        let network = IPNetwork(address: try #require(IPAddress(address)), prefixLength: length)
        #expect(network.description == expected)
        #expect(network.prefixLength >= 0 && network.prefixLength <= network.address.bitWidth)
    }

    @Test("networks written differently are equal")
    func equalityIgnoresSpelling() {
        #expect(IPNetwork("10.0.0.1/8") == IPNetwork("10.255.0.0/8"))
        #expect(IPNetwork("::ffff:10.0.0.0/104") == IPNetwork("10.0.0.0/8"))
        #expect(IPNetwork(address: .v6(high: 0, low: 0xFFFF_0A00_0000), prefixLength: 104) == IPNetwork("10.0.0.0/8"))
        #expect(IPNetwork("2001:0DB8:0000::/32") == IPNetwork("2001:db8::/32"))
        #expect(IPNetwork("10.0.0.0/8") != IPNetwork("10.0.0.0/9"))
        #expect(IPNetwork("0.0.0.0/0") != IPNetwork("::/0"))
    }

    @Test(
        "containment requires the same family after unmapping",
        arguments: [
            ("10.0.0.0/8", "10.0.0.0", true),
            ("10.0.0.0/8", "10.255.255.255", true),
            ("10.0.0.0/8", "11.0.0.0", false),
            ("10.0.0.0/8", "9.255.255.255", false),
            ("10.0.0.0/8", "::ffff:10.1.2.3", true),
            ("10.0.0.0/8", "::ffff:11.1.2.3", false),
            ("10.0.0.0/8", "::a01:203", false),
            ("10.0.0.0/8", "a01:203::", false),
            ("0.0.0.0/0", "1.2.3.4", true),
            ("0.0.0.0/0", "::ffff:1.2.3.4", true),
            ("0.0.0.0/0", "::1", false),
            ("0.0.0.0/0", "::", false),
            ("1.2.3.4/32", "1.2.3.4", true),
            ("1.2.3.4/32", "1.2.3.5", false),
            ("2001:db8::/32", "2001:db8::1", true),
            ("2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true),
            ("2001:db8::/32", "2001:db9::", false),
            ("2001:db8::/32", "2001:db7:ffff::", false),
            ("2001:db8::/32", "32.1.13.184", false),
            ("::/0", "::1", true),
            ("::/0", "2001:db8::1", true),
            ("::/0", "::ffff:1.2.3.4", false),
            ("::/0", "1.2.3.4", false),
            ("::1/128", "::1", true),
            ("::1/128", "::", false),
            ("::1/128", "::2", false),
            ("::/96", "::1.2.3.4", true),
            ("2001:db8:1:2::/64", "2001:db8:1:2:ffff:ffff:ffff:ffff", true),
            ("2001:db8:1:2::/64", "2001:db8:1:3::", false),
        ])
    func containment(network: String, address: String, expected: Bool) throws {
        let network = try #require(IPNetwork(network))
        let address = try #require(IPAddress(address))
        #expect(network.contains(address) == expected)
    }

    @Test("a network contains the address it was made from, unless that is IPv4 in an IPv6 network")
    func containsItsMembers() {
        SplitMix64.forEachRandomAddress(seed: 29, count: 1000) { address, random in
            let length = Int.random(in: 0...128, using: &random)
            let network = IPNetwork(address: address, prefixLength: length)
            // A mapped address under a prefix shorter than 96 yields an IPv6 network, which by design holds
            // no IPv4 client (the unit of a mapped address is always IPv4).
            let expected = !(address.isIPv4Mapped && !network.address.isIPv4)
            #expect(network.contains(address) == expected, "\(network) and \(address)")
            #expect(IPNetwork(network.description) == network)
        }
    }

    @Test("flipping the last network bit always leaves the network")
    func flippingANetworkBitLeaves() {
        var random = SplitMix64(seed: 37)
        for _ in 0..<1000 {
            let network = IPNetwork(address: random.anyAddress().unmappedIPv4, prefixLength: Int.random(in: 1...128, using: &random))
            let bit = network.prefixLength - 1
            let outside: IPAddress
            switch network.address {
            case .v4(let value):
                outside = .v4(value ^ (1 << UInt32(31 - bit)))
            case .v6(let high, let low):
                outside = bit < 64
                    ? .v6(high: high ^ (1 << UInt64(63 - bit)), low: low)
                    : .v6(high: high, low: low ^ (1 << UInt64(127 - bit)))
            }
            #expect(!network.contains(outside), "\(network) should not contain \(outside)")
            #expect(network.contains(network.address))
        }
    }

    @Test("isSingleAddress is true exactly for full-length prefixes")
    func singleAddress() {
        #expect(IPNetwork("1.2.3.4")?.isSingleAddress == true)
        #expect(IPNetwork("1.2.3.4/31")?.isSingleAddress == false)
        #expect(IPNetwork("::1")?.isSingleAddress == true)
        #expect(IPNetwork("::/127")?.isSingleAddress == false)
    }

    @Test("write(into:) produces the description's bytes and refuses a short buffer")
    func writeIntoBuffer() throws {
        let network = try #require(IPNetwork("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"))
        #expect(network.description.utf8.count == IPNetwork.maximumTextLength)
        var bytes = [UInt8](repeating: 0, count: IPNetwork.maximumTextLength)
        let written = bytes.withUnsafeMutableBytes { network.write(into: $0) }
        #expect(written == IPNetwork.maximumTextLength)
        #expect(bytes == Array(network.description.utf8))
        var short = [UInt8](repeating: 0, count: IPNetwork.maximumTextLength - 1)
        #expect(short.withUnsafeMutableBytes { network.write(into: $0) } == nil)
    }

    @Test("raw-byte parsing agrees with String parsing")
    func rawBytesAgree() {
        for text in ["10.0.0.1/8", "2001:db8::/32", "bad", "1.2.3.4/33", ""] {
            let fromBytes = Array(text.utf8).withUnsafeBytes { IPNetwork.parse($0) }
            #expect(fromBytes == IPNetwork(text), "\(text)")
        }
    }
}
