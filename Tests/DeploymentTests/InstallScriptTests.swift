import Foundation
import IPWatcherTestSupport
import Testing

/// `deploy/install.sh` and `deploy/uninstall.sh`, run against a staging directory (`--destdir`), never against /.
@Suite("install and uninstall scripts")
struct InstallScriptTests {
    /// A staging directory and a stand-in binary (the scripts only copy it), removed by ``remove()``.
    struct Stage {
        let scratch: TemporaryDirectory
        let root: URL
        let binary: URL

        init() throws {
            scratch = try TemporaryDirectory("stage")
            root = scratch.path("root")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            binary = try scratch.write("#!/bin/sh\nexit 0\n", to: "ipwatcher-binary", permissions: 0o755)
        }

        /// The staged file at absolute target path `path`.
        func file(_ path: String) -> URL {
            root.appending(path: String(path.drop { $0 == "/" }))
        }

        func exists(_ path: String) -> Bool {
            FileManager.default.fileExists(atPath: file(path).path)
        }

        /// Permission bits of the staged `path`.
        func permissions(_ path: String) throws -> Int {
            let attributes = try FileManager.default.attributesOfItem(atPath: file(path).path)
            return try #require(attributes[.posixPermissions] as? Int, "no permissions for \(path)")
        }

        /// Owner and group names of the staged `path`.
        func owner(_ path: String) throws -> (String?, String?) {
            let attributes = try FileManager.default.attributesOfItem(atPath: file(path).path)
            return (attributes[.ownerAccountName] as? String, attributes[.groupOwnerAccountName] as? String)
        }

        func install(_ extra: [String] = []) throws -> CommandResult {
            try Subprocess.run(
                "/bin/bash",
                [RepositoryLayout.installScript.path, "--binary", binary.path, "--destdir", root.path] + extra,
                environment: Subprocess.cleanEnvironment())
        }

        func uninstall(_ extra: [String] = []) throws -> CommandResult {
            try Subprocess.run(
                "/bin/bash", [RepositoryLayout.uninstallScript.path, "--destdir", root.path] + extra,
                environment: Subprocess.cleanEnvironment())
        }

        func remove() { scratch.remove() }
    }

    static let binaryPath = "/usr/local/bin/ipwatcher"
    static let unitPath = "/etc/systemd/system/ipwatcher.service"
    static let dropInPath = "/etc/systemd/system/ipwatcher.service.d/redis-password.conf"
    static let configDirectory = "/etc/ipwatcher"
    static let configPath = "/etc/ipwatcher/ipwatcher.yaml"
    static let docDirectory = "/usr/local/share/doc/ipwatcher"

    @Test func dryRunPrintsEveryInstallStepAndChangesNothing() throws {
        let stage = try Stage()
        defer { stage.remove() }
        let result = try Subprocess.run(
            "/bin/bash", [RepositoryLayout.installScript.path, "--dry-run", "--no-build", "--destdir", stage.root.path],
            environment: Subprocess.cleanEnvironment())
        #expect(result.succeeded, "install.sh --dry-run failed:\n\(result.combinedOutput)")
        let output = result.standardOutput
        for target in [Self.binaryPath, Self.unitPath, Self.configPath, Self.docDirectory + "/redis-acl.conf"] {
            #expect(output.contains(stage.file(target).path), "dry run does not mention \(target):\n\(output)")
        }
        #expect(output.contains("install -m 0755"), "\(output)")
        #expect(output.contains("systemctl enable --now ipwatcher"))
        #expect(output.contains("journalctl -u ipwatcher -f"))
        #expect(!output.contains("swift build"), "--no-build must not build:\n\(output)")
        let left = try FileManager.default.contentsOfDirectory(atPath: stage.root.path)
        #expect(left.isEmpty, "a dry run created \(left)")
    }

    @Test func stagedInstallCreatesEveryFileWithItsMode() throws {
        let stage = try Stage()
        defer { stage.remove() }
        let result = try stage.install()
        #expect(result.succeeded, "install.sh failed:\n\(result.combinedOutput)")

        let expectedModes: [(String, Int)] = [
            (Self.binaryPath, 0o755),
            (Self.unitPath, 0o644),
            (Self.configDirectory, 0o755),
            (Self.configPath, 0o644),
            (Self.docDirectory, 0o755),
            (Self.docDirectory + "/README.md", 0o644),
            (Self.docDirectory + "/redis-acl.conf", 0o644),
            (Self.docDirectory + "/redis-password.conf", 0o644),
        ]
        for (path, mode) in expectedModes {
            let actual = try stage.permissions(path)
            #expect(actual == mode, "\(path) has mode \(String(actual, radix: 8)), expected \(String(mode, radix: 8))")
            if ExternalTools.runningAsRoot {
                let (owner, group) = try stage.owner(path)
                #expect(owner == "root" && group == "root", "\(path) is owned by \(owner ?? "?"):\(group ?? "?")")
            }
        }
        #expect(
            try Data(contentsOf: stage.file(Self.unitPath)) == Data(contentsOf: RepositoryLayout.unit),
            "with the default prefix the unit is installed unchanged")
        #expect(try Data(contentsOf: stage.file(Self.configPath)) == Data(contentsOf: RepositoryLayout.sampleConfiguration))
        #expect(try Data(contentsOf: stage.file(Self.binaryPath)) == Data(contentsOf: stage.binary))
        #expect(!stage.exists(Self.dropInPath), "no password file, so no credential drop-in")
        #expect(!stage.exists(Self.configPath + ".new"))
        #expect(result.standardOutput.contains("systemctl daemon-reload"), "next steps:\n\(result.standardOutput)")
        #expect(result.standardOutput.contains("systemctl enable --now ipwatcher"))
        #expect(result.standardOutput.contains("journalctl -u ipwatcher -f"))
    }

    @Test func reinstallKeepsAnEditedConfigurationAndPutsTheSampleBesideIt() throws {
        let stage = try Stage()
        defer { stage.remove() }
        #expect(try stage.install().succeeded)
        let edited = "redis:\n  url: redis://10.0.0.5:6379\n"
        try Data(edited.utf8).write(to: stage.file(Self.configPath))

        let result = try stage.install()
        #expect(result.succeeded, "\(result.combinedOutput)")
        #expect(try String(contentsOf: stage.file(Self.configPath), encoding: .utf8) == edited)
        #expect(
            try Data(contentsOf: stage.file(Self.configPath + ".new"))
                == Data(contentsOf: RepositoryLayout.sampleConfiguration))
        #expect(try stage.permissions(Self.configPath + ".new") == 0o644)
        #expect(result.standardOutput.contains("ipwatcher.yaml.new"), "the script must say so:\n\(result.standardOutput)")
    }

    @Test func reinstallOverAnUnchangedSampleWritesNoNewFile() throws {
        let stage = try Stage()
        defer { stage.remove() }
        #expect(try stage.install().succeeded)
        #expect(try stage.install().succeeded)
        #expect(!stage.exists(Self.configPath + ".new"))
    }

    @Test func passwordFileBringsTheCredentialDropIn() throws {
        let stage = try Stage()
        defer { stage.remove() }
        try FileManager.default.createDirectory(
            at: stage.file(Self.configDirectory), withIntermediateDirectories: true)
        try Data("s3cret\n".utf8).write(to: stage.file(Self.configDirectory + "/redis-password"))
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o600], ofItemAtPath: stage.file(Self.configDirectory + "/redis-password").path)

        let result = try stage.install()
        #expect(result.succeeded, "\(result.combinedOutput)")
        #expect(try Data(contentsOf: stage.file(Self.dropInPath)) == Data(contentsOf: RepositoryLayout.passwordDropIn))
        #expect(try stage.permissions(Self.dropInPath) == 0o644)
        #expect(try stage.permissions(Self.configDirectory + "/redis-password") == 0o600, "left as it was")
        #expect(!result.standardOutput.contains("warning"), "\(result.standardOutput)")
    }

    @Test func readablePasswordFileIsWarnedAbout() throws {
        let stage = try Stage()
        defer { stage.remove() }
        try FileManager.default.createDirectory(
            at: stage.file(Self.configDirectory), withIntermediateDirectories: true)
        let password = stage.file(Self.configDirectory + "/redis-password")
        try Data("s3cret\n".utf8).write(to: password)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: password.path)

        let result = try stage.install()
        #expect(result.succeeded)
        #expect(result.standardOutput.contains("warning: /etc/ipwatcher/redis-password has mode 644"))
    }

    @Test func prefixMovesTheBinaryAndTheUnitFollows() throws {
        let stage = try Stage()
        defer { stage.remove() }
        let result = try stage.install(["--prefix", "/opt/ipwatcher"])
        #expect(result.succeeded, "\(result.combinedOutput)")
        #expect(stage.exists("/opt/ipwatcher/bin/ipwatcher"))
        #expect(!stage.exists(Self.binaryPath))
        let settings = try SystemdUnitTests.serviceSettings(of: stage.file(Self.unitPath))
        #expect(settings["ExecStart"] == ["/opt/ipwatcher/bin/ipwatcher run --config /etc/ipwatcher/ipwatcher.yaml"])
        let unit = try String(contentsOf: stage.file(Self.unitPath), encoding: .utf8)
        #expect(unit.contains("Documentation=file:///opt/ipwatcher/share/doc/ipwatcher/README.md"))
        #expect(!unit.contains("/usr/local"))
    }

    @Test func unknownOptionIsRefused() throws {
        let result = try Subprocess.run(
            "/bin/bash", [RepositoryLayout.installScript.path, "--frobnicate"], environment: Subprocess.cleanEnvironment())
        #expect(result.exited && result.status == 2)
        #expect(result.standardError.contains("unknown option --frobnicate"))
    }

    @Test func uninstallRemovesBinaryAndUnitButKeepsTheConfigurationUnlessPurged() throws {
        let stage = try Stage()
        defer { stage.remove() }
        try FileManager.default.createDirectory(
            at: stage.file(Self.configDirectory), withIntermediateDirectories: true)
        try stage.scratch.write("pw\n", to: "root/etc/ipwatcher/redis-password", permissions: 0o600)
        #expect(try stage.install().succeeded)
        #expect(stage.exists(Self.dropInPath))

        let dryRun = try stage.uninstall(["--dry-run"])
        #expect(dryRun.succeeded, "\(dryRun.combinedOutput)")
        #expect(dryRun.standardOutput.contains(stage.file(Self.binaryPath).path))
        #expect(stage.exists(Self.binaryPath), "a dry run removes nothing")

        let result = try stage.uninstall()
        #expect(result.succeeded, "\(result.combinedOutput)")
        for removed in [Self.binaryPath, Self.unitPath, Self.dropInPath, Self.docDirectory] {
            #expect(!stage.exists(removed), "\(removed) is still there")
        }
        #expect(!stage.exists("/etc/systemd/system/ipwatcher.service.d"), "the emptied drop-in directory goes too")
        #expect(stage.exists(Self.configPath))
        #expect(stage.exists(Self.configDirectory + "/redis-password"))

        let purge = try stage.uninstall(["--purge"])
        #expect(purge.succeeded, "\(purge.combinedOutput)")
        #expect(!stage.exists(Self.configDirectory))
    }

    @Test func uninstallKeepsDropInsItDidNotInstall() throws {
        let stage = try Stage()
        defer { stage.remove() }
        #expect(try stage.install().succeeded)
        try FileManager.default.createDirectory(
            at: stage.file("/etc/systemd/system/ipwatcher.service.d"), withIntermediateDirectories: true)
        try stage.scratch.write(
            "[Service]\nIPAddressDeny=\n", to: "root/etc/systemd/system/ipwatcher.service.d/override.conf")
        #expect(try stage.uninstall().succeeded)
        #expect(stage.exists("/etc/systemd/system/ipwatcher.service.d/override.conf"))
    }

    /// CI installs shellcheck (`scripts/setup`); elsewhere the lint is skipped with a warning when it is missing.
    @Test(.requires("shellcheck", package: "shellcheck"), .loadsMachine)
    func scriptsPassShellcheck() throws {
        let shellcheck = try ExternalTools.require("shellcheck", package: "shellcheck")
        let result = try Subprocess.run(
            shellcheck, [RepositoryLayout.installScript.path, RepositoryLayout.uninstallScript.path])
        #expect(result.succeeded, "\(result.combinedOutput)")
    }
}
