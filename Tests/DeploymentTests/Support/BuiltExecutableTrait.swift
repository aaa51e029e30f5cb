import IPWatcherTestSupport
import Testing

extension Trait where Self == ConditionTrait {
    /// Runs the test when the `ipwatcher` executable was built beside the tests; otherwise skips it with a loud
    /// warning, except under CI, where the test runs and fails.
    static var requiresBuiltExecutable: Self {
        .enabled("the ipwatcher executable was not built") {
            if RepositoryLayout.builtExecutable() != nil || TestEnvironment.isCI { return true }
            TestEnvironment.warn(
                "no built ipwatcher executable beside the tests, so a deployment test is SKIPPED. "
                    + "Run `swift build --product ipwatcher` first; under CI this is a failure.")
            return false
        }
    }
}
