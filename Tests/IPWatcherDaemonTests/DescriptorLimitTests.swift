import IPWatcherDaemon
import Testing

/// The soft open-file limit `ipwatcher run` raises itself to: the hard limit, or a ceiling Linux accepts when
/// the hard limit is unlimited, and nothing when it is already there.
@Suite("DescriptorLimit: raising the soft open-file limit")
struct DescriptorLimitTests {
    @Test(
        "the soft limit rises to the hard one, capped when the hard one is unlimited",
        arguments: [
            (DescriptorLimit(soft: 1024, hard: 524_288), 524_288),
            (DescriptorLimit(soft: 1024, hard: 65_536), 65_536),
            (DescriptorLimit(soft: 1024, hard: .max), DescriptorLimit.unlimitedCeiling),
            (DescriptorLimit(soft: 65_536, hard: 65_536), nil),
            (DescriptorLimit(soft: .max, hard: .max), nil),
            (DescriptorLimit(soft: 2_000_000, hard: .max), nil),
        ] as [(DescriptorLimit, UInt64?)])
    func raisedSoftLimit(limit: DescriptorLimit, expected: UInt64?) {
        #expect(limit.raisedSoftLimit() == expected, "\(limit)")
    }

    @Test("the process's limit reads back, and raising leaves the soft limit at the hard one")
    func raisingTheProcessLimit() throws {
        let (before, after) = try DescriptorLimit.raiseSoftLimitToHard()
        #expect(after.hard == before.hard)
        #expect(after.raisedSoftLimit() == nil, "\(after)")
        #expect(try DescriptorLimit.current() == after)
    }

    @Test("the description names both limits and says unlimited")
    func description() {
        #expect(DescriptorLimit(soft: 1024, hard: .max).description == "1024 (hard limit unlimited)")
    }
}
