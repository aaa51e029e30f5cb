import Foundation
import IPWatcherTestSupport
import Testing

/// `scripts/package-deb`: the package it builds from the debug binary, as lintian judges it, and as dpkg installs,
/// removes and purges it in a throwaway root (``ThrowawayRoot``), never in /.
@Suite("Debian package", .loadsMachine)
struct DebianPackageTests {
    /// Every file the package installs, with its mode.
    static let installedFiles: [(path: String, mode: Int)] = [
        ("/usr/bin/ipwatcher", 0o755),
        ("/lib/systemd/system/ipwatcher.service", 0o644),
        ("/etc/ipwatcher/ipwatcher.yaml", 0o644),
        ("/usr/share/man/man1/ipwatcher.1.gz", 0o644),
        ("/usr/share/bash-completion/completions/ipwatcher", 0o644),
        ("/usr/share/zsh/vendor-completions/_ipwatcher", 0o644),
        ("/usr/share/fish/vendor_completions.d/ipwatcher.fish", 0o644),
        ("/usr/share/doc/ipwatcher/copyright", 0o644),
        ("/usr/share/doc/ipwatcher/changelog.Debian.gz", 0o644),
        ("/usr/share/doc/ipwatcher/README.md", 0o644),
        ("/usr/share/doc/ipwatcher/redis-acl.conf", 0o644),
        ("/usr/share/doc/ipwatcher/redis-acl-functions.conf", 0o644),
        ("/usr/share/doc/ipwatcher/redis-password.conf", 0o644),
        ("/usr/share/lintian/overrides/ipwatcher", 0o644),
    ]
    static let unitPath = "/lib/systemd/system/ipwatcher.service"
    static let configPath = "/etc/ipwatcher/ipwatcher.yaml"

    /// The release number in `Sources/ipwatcher/Version.swift`.
    static func upstreamVersion() throws -> String {
        let source = try String(
            contentsOf: RepositoryLayout.root.appending(path: "Sources/ipwatcher/Version.swift"), encoding: .utf8)
        let line = try #require(source.split(separator: "\n").first { $0.contains("static let number = \"") })
        return try #require(line.split(separator: "\"").dropFirst().first.map(String.init))
    }

    /// `dpkg-deb --field` of the package: the control fields named.
    static func field(_ name: String, of package: URL) throws -> String {
        let dpkgDeb = try ExternalTools.require("dpkg-deb", package: "dpkg")
        let result = try Subprocess.run(dpkgDeb, ["--field", package.path, name])
        guard result.succeeded else { throw DeploymentTestError("dpkg-deb --field: \(result.combinedOutput)") }
        return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(
        "the control fields carry the version, the architecture, Debian's libraries and the conffile",
        .requiresPackageBuild)
    func controlFieldsCarryTheVersionTheArchitectureDebiansLibrariesAndTheConffile() async throws {
        let package = try await DebianPackageBuild.shared.package()
        let version = try Self.upstreamVersion() + "-1"
        let architecture = try Subprocess.run("/usr/bin/dpkg", ["--print-architecture"]).standardOutput
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(package.lastPathComponent == "ipwatcher_\(version)_\(architecture).deb")
        #expect(try Self.field("Package", of: package) == "ipwatcher")
        #expect(try Self.field("Version", of: package) == version)
        #expect(try Self.field("Architecture", of: package) == architecture)
        #expect(try Self.field("Recommends", of: package) == "redis-server")
        let depends = try Self.field("Depends", of: package)
        for library in ["libc6 (>=", "libsystemd0", "libstdc++6", "init-system-helpers", "passwd"] {
            #expect(depends.contains(library), "Depends lacks \(library): \(depends)")
        }
        #expect(!depends.contains("swift"), "the Swift runtime is bundled or static, never a dependency: \(depends)")

        let dpkgDeb = try ExternalTools.require("dpkg-deb", package: "dpkg")
        let conffiles = try Subprocess.run(dpkgDeb, ["--info", package.path, "conffiles"])
        #expect(conffiles.standardOutput == Self.configPath + "\n", "\(conffiles.combinedOutput)")
    }

    /// lintian's errors fail the test; its warnings are printed (README's *Installing the Debian package* says why
    /// each remains).
    @Test("lintian reports no errors", .requiresPackageBuild, .requires("lintian", package: "lintian"))
    func lintianReportsNoErrors() async throws {
        let package = try await DebianPackageBuild.shared.package()
        let lintian = try ExternalTools.require("lintian", package: "lintian")
        let result = try Subprocess.run(lintian, [package.path], timeout: .seconds(300))
        let lines = result.combinedOutput.split(separator: "\n").map(String.init)
        let errors = lines.filter { $0.hasPrefix("E: ") }
        #expect(errors.isEmpty, "lintian:\n\(result.combinedOutput)")
        #expect(result.exited && (result.status == 0 || !errors.isEmpty), "lintian failed:\n\(result.combinedOutput)")
        for warning in lines where warning.hasPrefix("W: ") { print("lintian \(warning)") }
    }

    /// Install, remove and purge in a throwaway root: the files, the system user and the enabled unit are where the
    /// unit says (systemd-analyze verify finds them there); removal keeps only the configuration and the unit's
    /// enablement state, and purge leaves the root's files as they were before (the user stays, as Debian keeps
    /// system users).
    @Test(
        "install puts files, user and unit where the unit says; remove keeps the configuration; purge leaves nothing",
        .requiresPackageBuild, .requiresRoot, .requires("systemd-analyze", package: "systemd"),
        .requires("useradd", package: "passwd"))
    func installPutsFilesUserAndUnitWhereTheUnitSaysAndPurgeLeavesNothing() async throws {
        let package = try await DebianPackageBuild.shared.package()
        let dpkg = try ExternalTools.require("dpkg", package: "dpkg")
        let root = try ThrowawayRoot()
        defer { root.remove() }
        let before = try root.paths()

        let install = try root.dpkg(dpkg, ["--install", package.path])
        try #require(install.succeeded, "dpkg --install:\n\(install.combinedOutput)")

        for (path, mode) in Self.installedFiles {
            let attributes = try FileManager.default.attributesOfItem(atPath: root.file(path).path)
            let actual = try #require(attributes[.posixPermissions] as? Int, "\(path) is missing")
            #expect(actual == mode, "\(path) has mode \(String(actual, radix: 8)), expected \(String(mode, radix: 8))")
            #expect((attributes[.ownerAccountID] as? NSNumber)?.intValue == 0, "\(path) is not root's")
        }
        #expect(
            try Data(contentsOf: root.file(Self.configPath)) == Data(contentsOf: RepositoryLayout.sampleConfiguration))
        #expect(try root.text("/var/lib/dpkg/status").contains("Conffiles:\n \(Self.configPath) "))

        let user = try #require(
            try root.text("/etc/passwd").split(separator: "\n").first { $0.hasPrefix("ipwatcher:") },
            "postinst made no user ipwatcher in the root's /etc/passwd")
        let fields = user.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        #expect(fields.count == 7 && fields[5] == "/nonexistent" && fields[6] == "/usr/sbin/nologin", "\(user)")
        #expect(Int(fields[2]).map { $0 > 0 && $0 < 1000 } == true, "not a system uid: \(user)")
        #expect(try root.text("/etc/group").contains("\nipwatcher:x:\(fields[3]):"), "no group ipwatcher")

        // The unit is deploy/ipwatcher.service with the package's paths, enabled for multi-user.target.
        let shipped = try String(contentsOf: RepositoryLayout.unit, encoding: .utf8)
        #expect(try root.text(Self.unitPath) == shipped.replacingOccurrences(of: "/usr/local/", with: "/usr/"))
        let settings = try SystemdUnitTests.serviceSettings(of: root.file(Self.unitPath))
        #expect(settings["ExecStart"] == ["/usr/bin/ipwatcher run --config \(Self.configPath)"])
        let wants = "/etc/systemd/system/multi-user.target.wants/ipwatcher.service"
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root.file(wants).path) == Self.unitPath)

        // verify with --root resolves ExecStart and the unit's dependencies inside the root: a missing binary there
        // would be "Command /usr/bin/ipwatcher is not executable".
        let analyze = try ExternalTools.require("systemd-analyze", package: "systemd")
        let verify = try Subprocess.run(
            analyze, ["verify", "--root=\(root.url.path)", "ipwatcher.service"],
            environment: Subprocess.cleanEnvironment())
        #expect(verify.succeeded && verify.combinedOutput.isEmpty, "systemd-analyze verify:\n\(verify.combinedOutput)")

        let remove = try root.dpkg(dpkg, ["--remove", "ipwatcher"])
        try #require(remove.succeeded, "dpkg --remove:\n\(remove.combinedOutput)")
        let kept = try root.paths().subtracting(before)
        // What deb-systemd-helper keeps of the unit's enablement (and its mask) until purge.
        let enablementState = kept.filter {
            $0.hasPrefix("etc/systemd/system/") || $0.hasPrefix("var/lib/systemd/deb-systemd-helper-")
        }
        #expect(
            kept.subtracting(enablementState) == ["etc/ipwatcher", "etc/ipwatcher/ipwatcher.yaml"],
            "after dpkg --remove: \(kept.sorted())")

        let purge = try root.dpkg(dpkg, ["--purge", "ipwatcher"])
        try #require(purge.succeeded, "dpkg --purge:\n\(purge.combinedOutput)")
        let after = try root.paths()
        #expect(
            after == before,
            "purge left \(after.subtracting(before).sorted()), removed \(before.subtracting(after).sorted())")
        #expect(!(try root.text("/var/lib/dpkg/status").contains("Package: ipwatcher")))
        #expect(try root.text("/etc/passwd").contains("\nipwatcher:"), "the system user is kept on purge")
    }

    @Test("package-deb and the maintainer scripts pass shellcheck", .requires("shellcheck", package: "shellcheck"))
    func scriptAndMaintainerScriptsPassShellcheck() throws {
        let shellcheck = try ExternalTools.require("shellcheck", package: "shellcheck")
        let maintainerScripts = ["postinst", "prerm", "postrm"].map {
            RepositoryLayout.debianDirectory.appending(path: $0).path
        }
        let result = try Subprocess.run(shellcheck, [RepositoryLayout.packageScript.path] + maintainerScripts)
        #expect(result.succeeded, "\(result.combinedOutput)")
    }

    @Test("package-deb refuses an unknown option")
    func unknownOptionIsRefused() throws {
        let result = try Subprocess.run(
            "/bin/bash", [RepositoryLayout.packageScript.path, "--frobnicate"],
            environment: Subprocess.cleanEnvironment())
        #expect(result.exited && result.status == 2)
        #expect(result.standardError.contains("unknown option --frobnicate"))
    }
}
