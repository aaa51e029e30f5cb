import Detection
import Testing
import Traffic

@Suite("Feed configuration, progress lines and number formats")
struct FeedConfigurationTests {
    @Test("validation catches what cannot work")
    func validation() throws {
        #expect(FeedConfiguration().validate() == nil)
        #expect(FeedConfiguration(limit: .count(-1)).validate() != nil)
        #expect(FeedConfiguration(limit: .duration(.zero)).validate() != nil)
        #expect(FeedConfiguration(rate: 0).validate() != nil)
        #expect(FeedConfiguration(rate: .infinity).validate() != nil)
        #expect(FeedConfiguration(rule: DetectionRule(threshold: 1)).validate() != nil)
        #expect(FeedConfiguration(rule: DetectionRule(threshold: .max)).validate() != nil)
        #expect(FeedConfiguration(rule: DetectionRule(windowSeconds: 86401)).validate() != nil)
        #expect(FeedConfiguration(rule: DetectionRule(threshold: DetectionRule.maximumThreshold)).validate() == nil)
        let address = try #require(IPAddress("198.51.100.7"))
        #expect(FeedConfiguration(scenario: .single(address), rule: DetectionRule(threshold: 1)).validate() == nil)
        #expect(FeedConfiguration(queueKey: "").validate() != nil)
    }

    @Test("planned counts, straddle's times, and warnings")
    func derived() {
        #expect(FeedConfiguration(limit: .count(5)).plannedCount == 5)
        #expect(FeedConfiguration(limit: .duration(.seconds(3)), rate: 100).plannedCount == 300)
        #expect(FeedConfiguration(limit: .duration(.seconds(3))).plannedCount == nil)
        #expect(FeedConfiguration(scenario: .straddle).sendsEventTimes)
        #expect(!FeedConfiguration(scenario: .bots).sendsEventTimes)
        #expect(FeedConfiguration(scenario: .mixed).warnings.contains { $0.contains("straddling") })
        #expect(FeedConfiguration(scenario: .bots, rate: 0.5).warnings.contains { $0.contains("cannot burst") })
        #expect(FeedConfiguration(scenario: .bots, rate: 1000).warnings.isEmpty)
        #expect(TrafficScenario(name: "rotate") == .rotate)
        #expect(TrafficScenario(name: "single") == nil)
    }

    @Test("numbers and the progress line")
    func text() {
        #expect(NumberText.grouped(0) == "0")
        #expect(NumberText.grouped(999) == "999")
        #expect(NumberText.grouped(1_234_567) == "1,234,567")
        #expect(NumberText.grouped(-1000) == "-1,000")
        #expect(NumberText.rate(1_020_000) == "1.02M/s")
        #expect(NumberText.rate(12_345) == "12.3k/s")
        #expect(NumberText.rate(980) == "980/s")
        #expect(NumberText.seconds(.milliseconds(1234)) == "1.2s")
        #expect(NumberText.percent(1, of: 3) == "33.3%")
        let progress = FeedProgress(
            stage: .sending, sent: 1_234_567, planned: nil, elapsed: .milliseconds(1200), recentRate: 1_020_000,
            averageRate: 1)
        #expect(progress.line == "sent 1,234,567  rate 1.02M/s  elapsed 1.2s")
    }
}
