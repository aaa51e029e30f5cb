import Detection
import Testing
import Traffic

@Suite("Address masking")
struct IPAddressMaskingTests {
    @Test(
        "masking keeps exactly the prefix bits",
        arguments: [
            ("1.2.3.4", 24, "1.2.3.0"),
            ("198.51.100.77", 24, "198.51.100.0"),
            ("198.51.100.77", 16, "198.51.0.0"),
            ("198.51.100.77", 31, "198.51.100.76"),
            ("198.51.100.77", 32, "198.51.100.77"),
            ("200.1.1.1", 1, "128.0.0.0"),
            ("1.2.3.4", 1, "0.0.0.0"),
            ("1.2.3.4", 0, "0.0.0.0"),
            ("1.2.3.4", 33, "1.2.3.4"),
            ("1.2.3.4", -1, "0.0.0.0"),
            ("1.2.3.4", Int.max, "1.2.3.4"),
            ("1.2.3.4", Int.min, "0.0.0.0"),
            ("2001:db8:1:2:aaaa::1", 64, "2001:db8:1:2::"),
            ("2001:db8:1:2:aaaa::1", 65, "2001:db8:1:2:8000::"),
            ("2001:db8:1:2:aaaa::1", 63, "2001:db8:1:2::"),
            ("2001:db8:1:3:aaaa::1", 63, "2001:db8:1:2::"),
            ("2001:db8:1:2:aaaa::1", 48, "2001:db8:1::"),
            ("2001:db8:1:2:aaaa::1", 32, "2001:db8::"),
            ("2001:db8:1:2:aaaa::1", 0, "::"),
            ("2001:db8:1:2:aaaa::1", 128, "2001:db8:1:2:aaaa::1"),
            ("2001:db8:1:2:aaaa::1", 129, "2001:db8:1:2:aaaa::1"),
            ("2001:db8:1:2:aaaa::1", -5, "::"),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 127, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"),
            ("::ffff:1.2.3.4", 120, "::ffff:1.2.3.0"),
            ("::ffff:1.2.3.4", 24, "::"),
        ])
    func masking(address: String, length: Int, expected: String) throws {
        let parsed = try #require(IPAddress(address))
        #expect(parsed.masked(toPrefix: length).description == expected)
    }

    @Test("masking all-ones leaves exactly `length` leading one bits (IPv4)", arguments: 0...32)
    func ipv4MaskShape(length: Int) {
        guard case .v4(let value) = IPAddress.v4(.max).masked(toPrefix: length) else {
            Issue.record("masking changed the family")
            return
        }
        #expect(value.nonzeroBitCount == length)
        #expect((~value).leadingZeroBitCount == length)
    }

    @Test("masking all-ones leaves exactly `length` leading one bits (IPv6)", arguments: 0...128)
    func ipv6MaskShape(length: Int) {
        guard case .v6(let high, let low) = IPAddress.v6(high: .max, low: .max).masked(toPrefix: length) else {
            Issue.record("masking changed the family")
            return
        }
        #expect(high.nonzeroBitCount + low.nonzeroBitCount == length)
        #expect((~high).leadingZeroBitCount == min(length, 64))
        #expect((~low).leadingZeroBitCount == max(length - 64, 0))
    }

    @Test("masking is idempotent and shorter prefixes nest")
    func maskingNests() {
        SplitMix64.forEachRandomAddress(seed: 23, count: 1000) { address, random in
            let length = Int.random(in: 0...address.bitWidth, using: &random)
            let shorter = Int.random(in: 0...length, using: &random)
            let masked = address.masked(toPrefix: length)
            #expect(masked.masked(toPrefix: length) == masked)
            #expect(masked.masked(toPrefix: shorter) == address.masked(toPrefix: shorter))
        }
    }

    @Test("bit width is 32 for IPv4 and 128 for IPv6, mapped included")
    func bitWidth() {
        #expect(IPAddress.v4(0).bitWidth == 32)
        #expect(IPAddress.v6(high: 0, low: 0).bitWidth == 128)
        #expect(IPAddress("::ffff:1.2.3.4")?.bitWidth == 128)
    }
}
