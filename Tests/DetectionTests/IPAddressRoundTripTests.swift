import Detection
import Testing
import Traffic

@Suite("Address text round trips")
struct IPAddressRoundTripTests {
    /// RFC 5952 written independently of the module: try every zero run, keep the first longest one.
    static func referenceText(high: UInt64, low: UInt64) -> String {
        let groups = (0..<8).map { index -> UInt16 in
            let half = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> (48 - 16 * UInt64(index % 4)))
        }
        if high == 0, low >> 32 == 0xFFFF {
            let v4 = UInt32(truncatingIfNeeded: low)
            return "::ffff:" + [24, 16, 8, 0].map { String((v4 >> UInt32($0)) & 0xFF) }.joined(separator: ".")
        }
        var best: Range<Int>? = nil
        for start in 0..<8 {
            var end = start
            while end < 8, groups[end] == 0 { end += 1 }
            if end - start >= 2, end - start > (best?.count ?? 0) { best = start..<end }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard let best else { return hex.joined(separator: ":") }
        return hex[..<best.lowerBound].joined(separator: ":") + "::" + hex[best.upperBound...].joined(separator: ":")
    }

    /// The eight groups written in full, four digits each, upper case: the least canonical spelling.
    static func uncompressedText(high: UInt64, low: UInt64) -> String {
        (0..<8).map { index -> String in
            let half = index < 4 ? high : low
            let group = String(UInt16(truncatingIfNeeded: half >> (48 - 16 * UInt64(index % 4))), radix: 16, uppercase: true)
            return String(repeating: "0", count: 4 - group.count) + group
        }.joined(separator: ":")
    }

    @Test("description parses back to the same address", arguments: [1, 2, 3] as [UInt64])
    func descriptionParsesBack(seed: UInt64) {
        SplitMix64.forEachRandomAddress(seed: seed, count: 2000) { address, random in
            let text = address.description
            #expect(IPAddress(text) == address, "\(text)")
        }
    }

    @Test("IPv6 description matches an independent RFC 5952 implementation")
    func descriptionMatchesReference() {
        var random = SplitMix64(seed: 5952)
        for _ in 0..<4000 {
            guard case .v6(let high, let low) = random.anyAddress() else { continue }
            #expect(IPAddress.v6(high: high, low: low).description == Self.referenceText(high: high, low: low))
        }
    }

    @Test("the full upper-case spelling parses to the same address as the canonical one")
    func uncompressedSpellingParses() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let address = random.zeroHeavyIPv6()
            guard case .v6(let high, let low) = address else { continue }
            #expect(IPAddress(Self.uncompressedText(high: high, low: low)) == address)
        }
    }

    @Test("canonical text is lower case, has at most one '::' and no leading zeros")
    func canonicalTextShape() {
        var random = SplitMix64(seed: 11)
        for _ in 0..<3000 {
            let address = random.zeroHeavyIPv6()
            let text = address.description
            guard !address.isIPv4Mapped else { continue }
            #expect(text == text.lowercased())
            #expect(text.utf8.count <= IPAddress.maximumTextLength)
            let compressions = text.split(separator: "::", omittingEmptySubsequences: false).count - 1
            #expect(compressions <= 1, "\(text)")
            for group in text.split(separator: ":") {
                #expect(group.count <= 4 && (group == "0" || !group.hasPrefix("0")), "\(text)")
            }
        }
    }

    @Test("write(into:) produces the description's bytes and refuses a short buffer")
    func writeIntoBuffer() {
        SplitMix64.forEachRandomAddress(seed: 13, count: 500) { address, random in
            var bytes = [UInt8](repeating: 0, count: IPAddress.maximumTextLength)
            let written = bytes.withUnsafeMutableBytes { address.write(into: $0) }
            #expect(written.map { Array(bytes[0..<$0]) } == Array(address.description.utf8))
            var short = [UInt8](repeating: 0, count: IPAddress.maximumTextLength - 1)
            #expect(short.withUnsafeMutableBytes { address.write(into: $0) } == nil)
            #expect(short.allSatisfy { $0 == 0 })
        }
    }

    @Test("parsing raw bytes agrees with parsing a String")
    func rawBytesAgreeWithString() {
        var random = SplitMix64(seed: 17)
        for _ in 0..<500 {
            let text = random.anyAddress().description
            let fromBytes = Array(text.utf8).withUnsafeBytes { IPAddress.parse($0) }
            #expect(fromBytes == IPAddress(text))
        }
        #expect(IPAddress.parse(UnsafeRawBufferPointer(start: nil, count: 0)) == nil)
    }

    @Test("parsing a slice of a larger buffer reads only the slice")
    func parsingASlice() {
        let bytes = Array("xx1.2.3.4yy".utf8)
        let parsed = bytes.withUnsafeBytes { IPAddress.parse(UnsafeRawBufferPointer(rebasing: $0[2..<9])) }
        #expect(parsed == .v4(0x0102_0304))
    }
}
