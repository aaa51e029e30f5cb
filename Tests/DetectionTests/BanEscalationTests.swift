import Detection
import Testing

/// The length of an escalated ban as the Swift side reads it (the ban script computes the same in Lua; the
/// worker's escalation test pins the two together against a real Redis).
@Suite("Ban escalation: the length of the n-th ban")
struct BanEscalationTests {
    @Test("base × factor^(n−1), capped at max_seconds")
    func grows() {
        let escalation = BanEscalation(factor: 2, maxSeconds: 3600)
        let lengths = (1...8).map { escalation.lengthMilliseconds(baseMilliseconds: 600_000, offence: $0) }
        #expect(lengths == [600_000, 1_200_000, 2_400_000, 3_600_000, 3_600_000, 3_600_000, 3_600_000, 3_600_000])
    }

    @Test("a cap below the rule's own ban never shortens it")
    func capBelowBase() {
        let escalation = BanEscalation(factor: 3, maxSeconds: 60)
        #expect(escalation.lengthMilliseconds(baseMilliseconds: 600_000, offence: 1) == 600_000)
        #expect(escalation.lengthMilliseconds(baseMilliseconds: 600_000, offence: 4) == 600_000)
    }

    @Test("escalation off, or a first offence, is the base; a huge offence count stays at the cap")
    func offAndExtremes() {
        #expect(BanEscalation().lengthMilliseconds(baseMilliseconds: 5000, offence: 9) == 5000)
        #expect(BanEscalation(factor: 2).lengthMilliseconds(baseMilliseconds: 5000, offence: 0) == 5000)
        let escalation = BanEscalation(factor: 100, maxSeconds: 86_400)
        #expect(escalation.lengthMilliseconds(baseMilliseconds: 1000, offence: Int.max) == 86_400_000)
    }
}
