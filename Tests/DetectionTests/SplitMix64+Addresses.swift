import Detection
import Traffic

extension SplitMix64 {
    /// An IPv6 address whose groups are zero about half the time, so zero runs of every length and
    /// position (and hence every `::` placement) turn up often.
    mutating func zeroHeavyIPv6() -> IPAddress {
        var halves: [UInt64] = [0, 0]
        for group in 0..<8 where Bool.random(using: &self) {
            let value = UInt64(UInt16.random(in: 1...UInt16.max, using: &self))
            halves[group / 4] |= value << (48 - 16 * UInt64(group % 4))
        }
        return .v6(high: halves[0], low: halves[1])
    }

    /// Any kind of address: IPv4, IPv4-mapped, zero-heavy IPv6 or uniformly random IPv6.
    mutating func anyAddress() -> IPAddress {
        switch Int.random(in: 0..<4, using: &self) {
        case 0: .v4(UInt32.random(in: 0...UInt32.max, using: &self))
        case 1: .v6(high: 0, low: 0xFFFF_0000_0000 | UInt64(UInt32.random(in: 0...UInt32.max, using: &self)))
        case 2: zeroHeavyIPv6()
        default: .v6(high: next(), low: next())
        }
    }

    /// Calls `body` `count` times with an address from ``anyAddress()`` of a generator seeded with `seed`, and the
    /// generator for further draws: the loop of every random-address property test.
    static func forEachRandomAddress(seed: UInt64, count: Int, _ body: (IPAddress, inout SplitMix64) -> Void) {
        var random = SplitMix64(seed: seed)
        for _ in 0..<count {
            let address = random.anyAddress()
            body(address, &random)
        }
    }
}
