import Detection
import Testing

/// The packed rolling log as Swift reads and writes it (the rolling counter's script writes the same bytes; the
/// worker's rolling tests decode what it wrote with ``RollingEventLog/decode(_:)``).
@Suite("Rolling event log: packed event times")
struct RollingEventLogTests {
    @Test("six header bytes, then one byte per gap under 128 ms and two per gap under 16.4 s")
    func layout() {
        let bytes = RollingEventLog.encode([1_733_436_000_000, 1_733_436_000_005, 1_733_436_006_005])
        #expect(bytes.count == 6 + 1 + 2)
        #expect(Array(bytes.prefix(6)) == [0x01, 0x93, 0x98, 0xD6, 0x47, 0x00])
        #expect(bytes[6] == 5)
        // 6000 = 0b101110_1110000: low seven bits first with the continuation bit, then the rest.
        #expect(Array(bytes.suffix(2)) == [0xF0, 0x2E])
    }

    @Test("decoding gives back what was encoded", arguments: [
        [Int64(0)],
        [1_733_436_000_000, 1_733_436_000_000, 1_733_436_000_001],
        [1, 128, 16_512, 2_113_664, 1 << 40, RollingEventLog.latestTime],
        (0..<1000).map { 1_733_436_000_000 + Int64($0 * $0) },
    ])
    func roundTrip(times: [Int64]) {
        #expect(RollingEventLog.decode(RollingEventLog.encode(times)) == times)
    }

    @Test("bytes that are not a log decode to nil")
    func malformed() {
        #expect(RollingEventLog.decode([UInt8]()) == nil)
        #expect(RollingEventLog.decode([1, 2, 3, 4, 5]) == nil, "shorter than the header")
        #expect(RollingEventLog.decode([0, 0, 0, 0, 0, 1, 0x80]) == nil, "a gap cut off mid-way")
        #expect(RollingEventLog.decode([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1]) == nil, "beyond the latest time")
        #expect(RollingEventLog.decode([0, 0, 0, 0, 0, 1] + [UInt8](repeating: 0xFF, count: 8) + [1]) == nil)
    }
}
