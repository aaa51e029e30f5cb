import IPWatcherTestSupport
import Foundation
import Testing

/// `ipwatcher run` refuses an invalid configuration with status 78 and one line naming the key;
/// `ipwatcher check-config` shows the configuration without secrets.
@Suite("ipwatcher: invalid configuration and check-config", .timeLimit(.minutes(10)))
struct DaemonConfigurationExitTests {
    /// Nothing listens on port 1, and an invalid configuration must be refused before any connect anyway.
    static let unusedURL = "redis://127.0.0.1:1"

    @Test("detection.threshold: abc in the file exits 78 with one stderr line naming detection.threshold")
    func invalidThresholdInFile() async throws {
        try await withScratchDirectory { scratch in
            let config = try scratch.write("detection:\n  threshold: abc\n", to: "ipwatcher.yaml")
            let (outcome, _, stderr) = try await runIPWatcher(
                ["run", "--config", config, "--redis-url", Self.unusedURL], in: scratch)
            #expect(outcome.status == 78, "\(outcome); stderr: \(stderr)")
            #expect(stderr.count == 1, "\(stderr)")
            #expect(stderr.first?.contains("detection.threshold") == true, "\(stderr)")
        }
    }

    @Test("--threshold 0 exits 78 with one stderr line naming detection.threshold")
    func invalidThresholdFlag() async throws {
        try await withScratchDirectory { scratch in
            let config = try scratch.write("log:\n  level: info\n", to: "ipwatcher.yaml")
            let (outcome, _, stderr) = try await runIPWatcher(
                ["run", "--config", config, "--redis-url", Self.unusedURL, "--threshold", "0"], in: scratch)
            #expect(outcome.status == 78, "\(outcome); stderr: \(stderr)")
            #expect(stderr.count == 1, "\(stderr)")
            #expect(stderr.first?.contains("detection.threshold") == true, "\(stderr)")
        }
    }

    @Test(
        "a misspelt IPWATCHER_ variable exits 78 with one line naming it and the variable it most likely means",
        arguments: [["check-config"], ["run"], ["blocklist", "list"], ["redis", "install-functions"]])
    func misspeltEnvironmentVariable(command: [String]) async throws {
        try await withScratchDirectory { scratch in
            let config = try scratch.write("log:\n  level: info\n", to: "ipwatcher.yaml")
            let process = try DaemonProcess(
                command + ["--config", config, "--redis-url", Self.unusedURL], in: scratch,
                extraEnvironment: ["IPWATCHER_DETECTION_TRESHOLD": "5"])
            let outcome = try await process.waitForExit(within: .seconds(10))
            if outcome == nil { await process.killAndReap() }
            let stderr = process.standardErrorLines
            #expect(outcome?.status == 78, "\(String(describing: outcome)); stderr: \(stderr)")
            #expect(stderr.count == 1, "\(stderr)")
            let line = stderr.first ?? ""
            #expect(line.contains("unknown environment variable IPWATCHER_DETECTION_TRESHOLD"), "\(line)")
            #expect(line.contains("did you mean IPWATCHER_DETECTION_THRESHOLD?"), "\(line)")
        }
    }

    @Test(
        "check-config prints the YAML with the URL's password hidden",
        arguments: [
            "redis://:s3cr3t-Pa55w0rd@127.0.0.1:6379",
            "redis://worker:s3cr3t-Pa55w0rd@127.0.0.1:6379/2",
            "unix://worker:s3cr3t-Pa55w0rd@/run/redis/redis.sock",
        ])
    func checkConfigHidesPassword(url: String) async throws {
        try await withScratchDirectory { scratch in
            // Once as a flag, once from the file.
            let plain = try scratch.write("log:\n  level: info\n", to: "plain.yaml")
            let withURL = try scratch.write("redis:\n  url: \"\(url)\"\n", to: "with-url.yaml")
            for arguments in [["check-config", "--config", plain, "--redis-url", url], ["check-config", "--config", withURL]] {
                let (outcome, stdout, stderr) = try await runIPWatcher(arguments, in: scratch)
                #expect(outcome.status == 0, "\(arguments): \(outcome); stderr: \(stderr)")
                #expect(stdout.contains("redis:") && stdout.contains("detection:"), "not the YAML: \(stdout)")
                #expect(stdout.contains("url:") && stdout.contains("***"), "the URL is not shown redacted: \(stdout)")
                #expect(!stdout.contains("s3cr3t-Pa55w0rd"), "password in stdout: \(stdout)")
                #expect(!stderr.joined().contains("s3cr3t-Pa55w0rd"), "password in stderr: \(stderr)")
            }
        }
    }
}
