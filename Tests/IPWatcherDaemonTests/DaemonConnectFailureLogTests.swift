import Foundation
import IPWatcherTestSupport
import Testing

/// `ipwatcher run` with nothing listening at its Redis URL: the log says why in plain words, once per connection,
/// not once per attempt and not as NIO's nested error values.
@Suite("ipwatcher run: connect failures in plain words", .timeLimit(.minutes(10)))
struct DaemonConnectFailureLogTests {
    @Test("against a closed port, stderr has one 'connection refused' line per connection over several seconds")
    func oneLinePerConnection() async throws {
        try await withScratchDirectory { scratch in
            // A command timeout longer than the test's wait, so the services waiting for a connection add nothing.
            let config = try scratch.write("redis:\n  command_timeout: 30\nlog:\n  level: info\n", to: "ipwatcher.yaml")
            try await withDaemon(["run", "--config", config, "--redis-url", "redis://127.0.0.1:1"], in: scratch) {
                daemon in
                try await waitUntil("both connections logged a failed connect") {
                    daemon.standardErrorLines.filter { $0.contains("cannot connect to Redis") }.count >= 2
                }
                // The backoff tops out at 0.5 s: over 4 s each connection fails another eight times or so.
                try await Task.sleep(for: .seconds(4))
                #expect(daemon.isRunning, "the worker must keep retrying")
                let lines = daemon.standardErrorLines
                let failures = lines.filter { $0.contains("cannot connect to Redis") }
                #expect(failures.count == 2, "\(lines)")
                for connection in ["pop", "write"] {
                    let line = failures.first { $0.contains("connection=\"\(connection)\"") }
                    #expect(
                        line?.contains("cannot connect to Redis: connection refused; retrying") == true,
                        "\(connection): \(failures)")
                }
                #expect(!daemon.standardError.contains("SingleConnectionFailure"), "\(lines)")
                #expect(!daemon.standardError.contains("errno"), "\(lines)")
            }
        }
    }
}
