import Foundation

/// What the tests know about the machine they run on, decided once per test process.
public enum TestEnvironment {
    /// Whether the tests run under CI: the variable `CI` is set to anything but "", "0", "false" or "no" (any case).
    ///
    /// Under CI a missing tool (redis-server, redis-cli, shellcheck, …) fails the tests that need it, since CI
    /// installs it; elsewhere those tests are skipped with a loud warning. CI services set `CI=true`; `CI=0` is how
    /// a developer says "not CI" explicitly, so it must not turn skips into failures.
    public static let isCI: Bool = isCI(ProcessInfo.processInfo.environment["CI"])

    /// The rule behind ``isCI``, for a given value of `CI` (nil when unset).
    public static func isCI(_ value: String?) -> Bool {
        guard let value else { return false }
        return !["", "0", "false", "no"].contains(value.lowercased())
    }

    /// Prints `message` to standard error framed so that it stands out in a test log (a skip must be noticed).
    public static func warn(_ message: String) {
        let warning = """

            ************************************************************************
            WARNING: \(message)
            ************************************************************************

            """
        FileHandle.standardError.write(Data(warning.utf8))
    }
}
