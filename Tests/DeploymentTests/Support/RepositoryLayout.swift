import Foundation
import Testing

/// Where the repository's deployment files and the built `ipwatcher` are, found from this file's path.
enum RepositoryLayout {
    /// The repository root: three levels above `Tests/DeploymentTests/Support/RepositoryLayout.swift`.
    static let root: URL = URL(filePath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // DeploymentTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// `deploy/`.
    static let deploy = root.appending(path: "deploy", directoryHint: .isDirectory)

    /// `deploy/ipwatcher.service`.
    static let unit = deploy.appending(path: "ipwatcher.service")

    /// `deploy/redis-password.conf`, the credential drop-in.
    static let passwordDropIn = deploy.appending(path: "redis-password.conf")

    /// `deploy/redis-acl.conf`.
    static let redisACL = deploy.appending(path: "redis-acl.conf")

    /// `deploy/redis-acl-functions.conf`, the user for `redis.scripts: functions`.
    static let redisACLFunctions = deploy.appending(path: "redis-acl-functions.conf")

    /// `deploy/install.sh`.
    static let installScript = deploy.appending(path: "install.sh")

    /// `deploy/uninstall.sh`.
    static let uninstallScript = deploy.appending(path: "uninstall.sh")

    /// `scripts/package-deb`, which builds the Debian package.
    static let packageScript = root.appending(path: "scripts/package-deb")

    /// `deploy/debian/`: the package's maintainer scripts, control template, changelog and copyright.
    static let debianDirectory = root.appending(path: "deploy/debian", directoryHint: .isDirectory)

    /// `config/ipwatcher.yaml`, the sample configuration the installer ships.
    static let sampleConfiguration = root.appending(path: "config/ipwatcher.yaml")

    /// ``builtExecutable()``, failing the test (the trait `.requiresBuiltExecutable` has already skipped it where
    /// that is allowed) when there is none.
    static func requireBuiltExecutable(sourceLocation: SourceLocation = #_sourceLocation) throws -> URL {
        try #require(
            builtExecutable(), "no built ipwatcher executable: run swift build --product ipwatcher",
            sourceLocation: sourceLocation)
    }

    /// The `ipwatcher` executable built beside this test bundle (`swift test` builds it), or nil if there is none.
    ///
    /// Looks in the directory of the test runner (`CommandLine.arguments[0]`), then of the main executable, then
    /// in `.build/debug`.
    static func builtExecutable() -> URL? {
        var candidates: [URL] = []
        let workingDirectory = URL(filePath: FileManager.default.currentDirectoryPath, directoryHint: .isDirectory)
        if let runner = CommandLine.arguments.first, !runner.isEmpty {
            let runnerURL = URL(filePath: runner, relativeTo: workingDirectory).standardizedFileURL
            candidates.append(runnerURL.deletingLastPathComponent().appending(path: "ipwatcher"))
        }
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent().appending(path: "ipwatcher"))
        }
        candidates.append(root.appending(path: ".build/debug/ipwatcher"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}
