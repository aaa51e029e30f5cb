import Detection
import Testing

@Suite("IPv6 parsing and RFC 5952 formatting")
struct IPv6ParsingTests {
    @Test(
        "IPv6 text prints in RFC 5952 canonical form",
        arguments: [
            // RFC 5952's own examples.
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:0db8::0001", "2001:db8::1"),
            ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),
            ("2001:db8::1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            ("2001:db8::0:1", "2001:db8::1"),
            ("2001:db8:0:0:1::1", "2001:db8::1:0:0:1"),
            ("2001:DB8::AAAA:BBBB", "2001:db8::aaaa:bbbb"),
            // All-zero, loopback and trailing runs.
            ("::", "::"),
            ("0:0:0:0:0:0:0:0", "::"),
            ("0000:0000::", "::"),
            ("::1", "::1"),
            ("0:0:0:0:0:0:0:1", "::1"),
            ("::0:1", "::1"),
            ("1::", "1::"),
            ("1:0:0:0:0:0:0:0", "1::"),
            // No run of two zero groups: nothing to compress.
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
            ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
            ("1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"),
            // The longest run wins, and the leftmost one on ties.
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
            ("1:0:0:2:3:0:0:4", "1::2:3:0:0:4"),
            ("0:0:1:0:0:2:0:0", "::1:0:0:2:0:0"),
            ("0:0:1:2:3:4:0:0", "::1:2:3:4:0:0"),
            ("1:0:0:0:2:0:0:0", "1::2:0:0:0"),
            // Leading zeros removed, case folded.
            ("0001:0020:0300:4000:0000:000a:00B0:0C00", "1:20:300:4000:0:a:b0:c00"),
            ("FFFF:ffff:FfFf:fFfF:FFFF:FFFF:FFFF:FFFF", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ("fe80::1", "fe80::1"),
            // Embedded IPv4: only IPv4-mapped addresses keep the dotted tail.
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("::FFFF:1.2.3.4", "::ffff:1.2.3.4"),
            ("::ffff:0102:0304", "::ffff:1.2.3.4"),
            ("0:0:0:0:0:ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("::ffff:0.0.0.0", "::ffff:0.0.0.0"),
            ("::ffff:255.255.255.255", "::ffff:255.255.255.255"),
            ("64:ff9b::1.2.3.4", "64:ff9b::102:304"),
            ("::1.2.3.4", "::102:304"),
            ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
            ("1::1.2.3.4", "1::102:304"),
            ("::ffff:0:1.2.3.4", "::ffff:0:102:304"),
            ("0000:0000:0000:0000:0000:ffff:255.255.255.255", "::ffff:255.255.255.255"),
        ])
    func formatsCanonically(input: String, canonical: String) throws {
        let address = try #require(IPAddress(input))
        #expect(address.description == canonical)
        #expect(IPAddress(canonical) == address)
        #expect(address.bitWidth == 128)
    }

    @Test("IPv6 text parses to the expected integers")
    func parsesToIntegers() {
        #expect(IPAddress("2001:db8::1") == .v6(high: 0x2001_0DB8_0000_0000, low: 1))
        #expect(IPAddress("::") == .v6(high: 0, low: 0))
        #expect(IPAddress("::1") == .v6(high: 0, low: 1))
        #expect(IPAddress("1::") == .v6(high: 0x0001_0000_0000_0000, low: 0))
        #expect(IPAddress("1:2:3:4:5:6:7:8") == .v6(high: 0x0001_0002_0003_0004, low: 0x0005_0006_0007_0008))
        #expect(IPAddress("::ffff:1.2.3.4") == .v6(high: 0, low: 0xFFFF_0102_0304))
        #expect(IPAddress("64:ff9b::1.2.3.4") == .v6(high: 0x0064_FF9B_0000_0000, low: 0x0102_0304))
    }

    @Test("IPv4-mapped addresses unmap to IPv4; others stay as they are")
    func unmapping() {
        #expect(IPAddress("::ffff:1.2.3.4")?.unmappedIPv4 == .v4(0x0102_0304))
        #expect(IPAddress("::ffff:1.2.3.4")?.isIPv4Mapped == true)
        #expect(IPAddress("::ffff:0:0")?.unmappedIPv4 == .v4(0))
        for text in ["::1.2.3.4", "64:ff9b::1.2.3.4", "::fffe:1.2.3.4", "1::ffff:1.2.3.4", "::1:ffff:1.2.3.4", "2001:db8::1"] {
            let address = IPAddress(text)
            #expect(address?.unmappedIPv4 == address, "\(text)")
            #expect(address?.isIPv4Mapped == false, "\(text)")
        }
    }

    @Test(
        "malformed IPv6 text is refused",
        arguments: [
            // Too many or too few groups.
            "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "1::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5:6:7:8:1.2.3.4", "::1:2:3:4:5:6:1.2.3.4",
            // Misplaced or repeated colons.
            "1::2::3", "::1::", ":::", "1:::2", "::::", ":", "1:", ":1", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:",
            "::1:", ":1::", "1::2:", ":::1",
            // Bad groups.
            "12345::", "::12345", "g::", "::g", "1:2:3:4:5:6:7:x", "-::", "::-1", "+1::",
            // Bad embedded IPv4.
            "1.2.3.4::", "::ffff:1.2.3", "::ffff:1.2.3.4.5", "::ffff:01.2.3.4", "::1.2.3.4:5", "::ffff:256.1.1.1",
            "::ffff:1.2.3.4.", "::ffff:.1.2.3", "::a.2.3.4", "::1.2.3.4::", "1.2.3.4:1::",
            // Decorations the queue format does not allow.
            "fe80::1%eth0", "fe80::1%1", "[::1]", "[::1]:80", " ::1", "::1 ", "::1/128", "::1\n", "::1é",
            "",
        ])
    func invalidAddressesAreRefused(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test("the longest valid text (45 bytes) parses; anything longer is refused")
    func lengthLimit() {
        let longest = "0000:0000:0000:0000:0000:ffff:255.255.255.255"
        #expect(longest.utf8.count == 45)
        #expect(IPAddress(longest) == IPAddress("::ffff:255.255.255.255"))
        #expect(IPAddress("00000:0000:0000:0000:0000:ffff:255.255.255.255") == nil)
        #expect(IPAddress(String(repeating: "0", count: 100) + "::") == nil)
    }

    @Test("every group digit count from 1 to 4 parses, 5 is refused", arguments: 1...5)
    func groupDigitCounts(digits: Int) {
        let group = String(repeating: "f", count: digits)
        let parsed = IPAddress("\(group)::")
        if digits <= 4 {
            #expect(parsed?.description == String(repeating: "f", count: digits) + "::")
        } else {
            #expect(parsed == nil)
        }
    }

    @Test("'::' may stand for any number of zero groups from one to eight", arguments: 0...7)
    func compressionOfEveryLength(explicitGroups: Int) throws {
        // explicitGroups non-zero groups, split around the "::" in every way.
        for split in 0...explicitGroups {
            let head = (0..<split).map { String($0 + 1) }
            let tail = (split..<explicitGroups).map { String($0 + 1) }
            let text = head.joined(separator: ":") + "::" + tail.joined(separator: ":")
            let address = try #require(IPAddress(text), "\(text)")
            let expanded = head + Array(repeating: "0", count: 8 - explicitGroups) + tail
            #expect(IPAddress(expanded.joined(separator: ":")) == address, "\(text)")
        }
    }
}
