import Detection
import Testing

@Suite("IPv4 parsing and formatting")
struct IPv4ParsingTests {
    static let valid: [(String, UInt32)] = [
        ("0.0.0.0", 0),
        ("255.255.255.255", 0xFFFF_FFFF),
        ("1.2.3.4", 0x0102_0304),
        ("10.0.0.1", 0x0A00_0001),
        ("127.0.0.1", 0x7F00_0001),
        ("192.168.100.200", 0xC0A8_64C8),
        ("100.0.0.0", 0x6400_0000),
        ("0.10.0.100", 0x000A_0064),
        ("203.0.113.7", 0xCB00_7107),
        ("9.99.199.249", 0x0963_C7F9),
    ]

    @Test("valid dotted quads parse to their integer value", arguments: valid)
    func validAddressesParse(text: String, value: UInt32) {
        #expect(IPAddress(text) == .v4(value))
    }

    @Test("canonical dotted quads print back unchanged", arguments: valid)
    func canonicalTextRoundTrips(text: String, value: UInt32) {
        #expect(IPAddress.v4(value).description == text)
    }

    @Test(
        "malformed IPv4 text is refused",
        arguments: [
            "", "256.0.0.1", "1.256.0.1", "1.2.3.256", "999.1.1.1", "1.2.3.1000", "1.2.3", "1.2", "1",
            "1.2.3.4.5", "01.2.3.4", "1.02.3.4", "1.2.003.4", "1.2.3.00", "00.0.0.0", "0000.0.0.0",
            " 1.2.3.4", "1.2.3.4 ", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4.", "...", "1.2.3.-4", "+1.2.3.4",
            "1.2.3.4a", "a.b.c.d", "0x1.2.3.4", "1.2.3.4/24", "1,2,3,4", "1.2.3.4\n", "1.2.3.4:80",
            "1.2.3.\u{0}", "１.2.3.4", "4294967295", "0x01020304",
        ])
    func invalidAddressesAreRefused(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test("every octet value parses and prints in every position")
    func everyOctetRoundTrips() {
        for octet in 0...255 {
            for position in 0..<4 {
                var parts = ["1", "2", "3", "4"]
                parts[position] = String(octet)
                let text = parts.joined(separator: ".")
                let address = IPAddress(text)
                #expect(address?.description == text)
                if case .v4(let value) = address {
                    #expect((value >> (24 - 8 * UInt32(position))) & 0xFF == UInt32(octet))
                } else {
                    Issue.record("\(text) did not parse as IPv4")
                }
            }
        }
    }

    @Test("octets with a leading zero are refused as ambiguous octal", arguments: 0...99)
    func leadingZeroOctetsAreRefused(octet: Int) {
        let padded = "0\(octet)"
        #expect(IPAddress("\(padded).1.1.1") == nil)
        #expect(IPAddress("1.1.1.\(padded)") == nil)
    }

    @Test("an IPv4 address is 32 bits wide and not mapped")
    func ipv4Properties() {
        let address = IPAddress.v4(0x0102_0304)
        #expect(address.bitWidth == 32)
        #expect(address.isIPv4)
        #expect(!address.isIPv4Mapped)
        #expect(address.unmappedIPv4 == address)
    }
}
