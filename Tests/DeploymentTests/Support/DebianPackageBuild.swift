import Foundation
import IPWatcherTestSupport
import Testing

/// The `.deb` that `scripts/package-deb` makes from the debug `ipwatcher` that `swift test` built, made once per test
/// process and shared by the tests that inspect it.
///
/// It goes into `.build/deploy-tests/` (replaced by each run), gzip-compressed: xz would take longer than everything
/// else the tests do with it together.
actor DebianPackageBuild {
    /// The build every test shares.
    static let shared = DebianPackageBuild()

    private var outcome: Result<URL, any Error>?

    /// The package's path, building it on the first call; a failed build fails every later call the same way.
    func package() throws -> URL {
        if let outcome { return try outcome.get() }
        let result = Result { try Self.build() }
        outcome = result
        return try result.get()
    }

    /// Where the package is built.
    static let outputDirectory = RepositoryLayout.root.appending(
        path: ".build/deploy-tests", directoryHint: .isDirectory)

    private static func build() throws -> URL {
        let binary = try RepositoryLayout.requireBuiltExecutable()
        try? FileManager.default.removeItem(at: outputDirectory)
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        // The first run builds swift-argument-parser's generate-manual (for the manual page) into .build: a minute.
        let result = try Subprocess.run(
            "/bin/bash",
            [
                RepositoryLayout.packageScript.path, "--binary", binary.path, "--output", outputDirectory.path,
                "--compression", "gzip",
            ],
            environment: Subprocess.cleanEnvironment(), timeout: .seconds(900))
        guard result.succeeded else {
            throw DeploymentTestError("scripts/package-deb failed (status \(result.status)):\n\(result.combinedOutput)")
        }
        let printed = result.standardOutput.split(separator: "\n").last.map(String.init) ?? ""
        guard printed.hasSuffix(".deb"), FileManager.default.fileExists(atPath: printed) else {
            throw DeploymentTestError("scripts/package-deb did not print the package's path:\n\(result.combinedOutput)")
        }
        return URL(filePath: printed)
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test when ``DebianPackageBuild`` can build the package: a built `ipwatcher`, and dpkg-deb,
    /// dpkg-shlibdeps, patchelf (the debug binary's Swift runtime is bundled) and strip installed. Otherwise skips
    /// it with a loud warning, except under CI, where the test runs and fails.
    static var requiresPackageBuild: Self {
        .enabled("scripts/package-deb cannot run here") {
            let tools = [
                ("dpkg-deb", "dpkg"), ("dpkg-shlibdeps", "dpkg-dev"), ("patchelf", "patchelf"), ("strip", "binutils"),
            ]
            let missing = tools.filter { ExternalTools.path($0.0) == nil }.map { "\($0.0) (Debian package \($0.1))" }
            let built = RepositoryLayout.builtExecutable() != nil
            if (missing.isEmpty && built) || TestEnvironment.isCI { return true }
            TestEnvironment.warn(
                "a Debian package test is SKIPPED: "
                    + (built ? "" : "no built ipwatcher executable (swift build --product ipwatcher); ")
                    + (missing.isEmpty
                        ? "" : "missing \(missing.joined(separator: ", ")) (scripts/setup installs them)")
                    + "; under CI this is a failure.")
            return false
        }
    }
}
