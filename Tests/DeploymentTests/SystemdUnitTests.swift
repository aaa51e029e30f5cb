import Foundation
import IPWatcherTestSupport
import Testing

/// `deploy/ipwatcher.service` as systemd's own tools judge it, and the contract with the daemon it encodes.
@Suite("systemd unit", .loadsMachine)
struct SystemdUnitTests {
    /// The exposure `systemd-analyze security` may report at most (Debian's redis-server unit rates 1.2).
    static let exposureLimit = 1.0

    /// `systemd-analyze verify` on the unit as shipped: the only complaint allowed is that the binary is not
    /// installed on this machine.
    @Test(.requires("systemd-analyze", package: "systemd"))
    func unitPassesVerifyExceptForTheUninstalledBinary() throws {
        let analyze = try ExternalTools.require("systemd-analyze", package: "systemd")
        let result = try Subprocess.run(analyze, ["verify", RepositoryLayout.unit.path])
        let complaints = result.combinedOutput.split(separator: "\n").filter { line in
            !(line.contains("/usr/local/bin/ipwatcher") && line.contains("is not executable"))
        }
        #expect(complaints.isEmpty, "systemd-analyze verify:\n\(result.combinedOutput)")
    }

    /// With ExecStart pointing at an executable that exists, and with the password drop-in applied, verify has
    /// nothing at all to say.
    @Test(.requires("systemd-analyze", package: "systemd"))
    func unitWithPasswordDropInVerifiesCleanlyWhenTheBinaryExists() throws {
        let analyze = try ExternalTools.require("systemd-analyze", package: "systemd")
        let scratch = try TemporaryDirectory("unit")
        defer { scratch.remove() }
        let shipped = try String(contentsOf: RepositoryLayout.unit, encoding: .utf8)
        let unit = shipped.replacingOccurrences(of: "/usr/local/bin/ipwatcher", with: "/bin/true")
        try scratch.write(unit, to: "ipwatcher.service")
        let dropInDirectory = scratch.path("ipwatcher.service.d")
        try FileManager.default.createDirectory(at: dropInDirectory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: RepositoryLayout.passwordDropIn, to: dropInDirectory.appending(path: "redis-password.conf"))

        // SYSTEMD_UNIT_PATH ending in ':' keeps the default search path and adds the scratch directory, whose
        // ipwatcher.service.d/ is then read as the unit's drop-in directory.
        let environment = Subprocess.cleanEnvironment(adding: ["SYSTEMD_UNIT_PATH": scratch.url.path + ":"])
        let result = try Subprocess.run(analyze, ["verify", "ipwatcher.service"], environment: environment)
        #expect(result.succeeded, "exit status \(result.status)")
        #expect(result.combinedOutput.isEmpty, "systemd-analyze verify:\n\(result.combinedOutput)")
    }

    @Test(.requires("systemd-analyze", package: "systemd"))
    func exposureLevelIsAtMostOnePointZero() throws {
        let analyze = try ExternalTools.require("systemd-analyze", package: "systemd")
        let result = try Subprocess.run(analyze, ["security", "--offline=true", RepositoryLayout.unit.path])
        let exposure = try #require(
            Self.overallExposure(in: result.combinedOutput),
            "no \"Overall exposure level\" line in:\n\(result.combinedOutput)")
        let costs = result.combinedOutput.split(separator: "\n").filter { $0.hasPrefix("✗") }.joined(separator: "\n")
        #expect(exposure <= Self.exposureLimit, "exposure \(exposure) > \(Self.exposureLimit); what it costs:\n\(costs)")
    }

    /// The number in `→ Overall exposure level for ipwatcher.service: 1.0 OK 🙂`.
    static func overallExposure(in output: String) -> Double? {
        for line in output.split(separator: "\n") {
            guard let range = line.range(of: "Overall exposure level for ") else { continue }
            let rest = line[range.upperBound...]
            guard let colon = rest.range(of: ": ") else { continue }
            let number = rest[colon.upperBound...].prefix { $0.isNumber || $0 == "." }
            return Double(number)
        }
        return nil
    }

    @Test func exposureParserReadsTheOverallLine() {
        let output = "✗ PrivateNetwork= ...  0.5\n→ Overall exposure level for ipwatcher.service: 0.9 SAFE 😀\n"
        #expect(Self.overallExposure(in: output) == 0.9)
        #expect(Self.overallExposure(in: "nothing here") == nil)
    }

    /// The settings the daemon's behaviour depends on: readiness and watchdog notifications, reload by SIGHUP, the
    /// exit status that restarting cannot fix, and the unprivileged identity.
    @Test func unitEncodesTheDaemonsContract() throws {
        let settings = try Self.serviceSettings(of: RepositoryLayout.unit)
        let expected: [String: String] = [
            "Type": "notify",
            "NotifyAccess": "main",
            "ExecStart": "/usr/local/bin/ipwatcher run --config /etc/ipwatcher/ipwatcher.yaml",
            "ExecReload": "/bin/kill -HUP $MAINPID",
            "WatchdogSec": "30s",
            "TimeoutStopSec": "10s",
            "Restart": "on-failure",
            "RestartSec": "2s",
            "RestartPreventExitStatus": "78",
            "DynamicUser": "yes",
            "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
            "CapabilityBoundingSet": "",
        ]
        for (key, value) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(settings[key] == [value], "\(key)=")
        }
    }

    /// `Key=value` lines of the `[Service]` section, values in file order, comments left out.
    static func serviceSettings(of unit: URL) throws -> [String: [String]] {
        var settings: [String: [String]] = [:]
        var inService = false
        for rawLine in try String(contentsOf: unit, encoding: .utf8).split(separator: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                inService = line == "[Service]"
                continue
            }
            guard inService, !line.hasPrefix("#"), !line.hasPrefix(";"), let equals = line.firstIndex(of: "=") else {
                continue
            }
            settings[String(line[..<equals]), default: []].append(String(line[line.index(after: equals)...]))
        }
        return settings
    }
}
