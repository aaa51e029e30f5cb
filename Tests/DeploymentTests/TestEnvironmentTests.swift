import IPWatcherTestSupport
import Testing

/// The one rule every fixture and deployment test uses to decide whether a missing tool fails or skips.
@Suite("TestEnvironment: the CI rule")
struct TestEnvironmentTests {
    @Test("CI is on for any value but empty, 0, false or no", arguments: ["true", "1", "yes", "github", "TRUE"])
    func onForOtherValues(value: String) {
        #expect(TestEnvironment.isCI(value))
    }

    @Test(
        "CI is off when unset, empty, 0, false or no, in any case",
        arguments: [nil, "", "0", "false", "False", "no", "NO"])
    func offForFalseValues(value: String?) {
        #expect(!TestEnvironment.isCI(value))
    }
}
