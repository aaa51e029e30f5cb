import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The system tools tests drive (systemd-analyze, shellcheck, tmux, …), looked up on `PATH`; a missing one fails
/// the test under CI (``TestEnvironment/isCI``), since CI installs it (`scripts/setup`), and skips it with a
/// warning elsewhere.
public enum ExternalTools {
    /// The full path of `name` found on `PATH` (plus the sbin directories, where some distributions put tools),
    /// or nil.
    public static func path(_ name: String) -> String? {
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let directories = searchPath.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/local/sbin"]
        for directory in directories where !directory.isEmpty {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The path of `name`, failing the test (and so ending it) when it is missing; the trait ``requires(_:package:)``
    /// has already skipped the test when that is allowed.
    public static func require(_ name: String, package: String, sourceLocation: SourceLocation = #_sourceLocation)
        throws -> String
    {
        try #require(
            path(name), "\(name) is not installed; CI installs it with the \(package) package (scripts/setup)",
            sourceLocation: sourceLocation)
    }

    /// Whether this process runs as root.
    public static var runningAsRoot: Bool { geteuid() == 0 }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test when `tool` is installed; otherwise skips it with a loud warning, except under CI, where the
    /// test runs and fails (see ``ExternalTools/require(_:package:sourceLocation:)``).
    public static func requires(_ tool: String, package: String) -> Self {
        .enabled("\(tool) (Debian package \(package)) is not installed") {
            if ExternalTools.path(tool) != nil || TestEnvironment.isCI { return true }
            TestEnvironment.warn(
                "\(tool) is not installed, so a test is SKIPPED. Install the \(package) package "
                    + "(scripts/setup does) to run it; under CI this is a failure.")
            return false
        }
    }

    /// Runs the test as root only (dpkg installs nothing otherwise, even into a directory of the test's); elsewhere
    /// skips it with a loud warning, except under CI (which runs as root), where the test runs and fails.
    public static var requiresRoot: Self {
        .enabled("not running as root") {
            if ExternalTools.runningAsRoot || TestEnvironment.isCI { return true }
            TestEnvironment.warn("not running as root, so a deployment test that installs a package is SKIPPED.")
            return false
        }
    }
}
