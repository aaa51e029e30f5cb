import Foundation
import IPWatcherTestSupport
import Testing

/// `ipwatcher run`'s stderr in each style: syslog priorities when `JOURNAL_STREAM` names its stderr, JSON with
/// `log.format: json`, timestamped text otherwise. The worker points at a closed port, so it logs at once and at two
/// levels (`notice` for the metrics address, `warning` for the failed connects) without a Redis.
@Suite("ipwatcher run: log lines for journald and for shippers", .timeLimit(.minutes(10)))
struct DaemonLogFormatTests {
    /// Runs the worker against a closed port until both connections logged a failed connect, then returns its
    /// stderr lines.
    private func logLines(
        configuration: String, arguments: [String] = [], standardErrorIsJournal: Bool = false,
        extraEnvironment: [String: String] = [:]
    ) async throws -> [String] {
        try await withScratchDirectory { scratch in
            let config = try scratch.write(configuration, to: "ipwatcher.yaml")
            return try await withDaemon(
                ["run", "--config", config, "--redis-url", "redis://127.0.0.1:1"] + arguments, in: scratch,
                extraEnvironment: extraEnvironment, standardErrorIsJournal: standardErrorIsJournal
            ) { daemon in
                try await waitUntil("both connections logged a failed connect") {
                    daemon.standardErrorLines.filter { $0.contains("cannot connect to Redis") }.count >= 2
                }
                return daemon.standardErrorLines
            }
        }
    }

    @Test("with stderr on the journal, every line starts with its priority and carries no timestamp")
    func journalLinesCarryPriorities() async throws {
        let lines = try await logLines(configuration: "log:\n  level: info\n", standardErrorIsJournal: true)
        for line in lines {
            #expect(line.range(of: #"^<[2-7]>(trace|debug|info|notice|warning|error|critical) "#, options: .regularExpression) != nil, "\(line)")
        }
        let failures = lines.filter { $0.contains("cannot connect to Redis") }
        #expect(failures.count == 2 && failures.allSatisfy { $0.hasPrefix("<4>warning ") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("<5>notice ipwatcher: metrics on http://") }, "\(lines)")
        #expect(!lines.contains { $0.range(of: #"\d{4}-\d\d-\d\dT"#, options: .regularExpression) != nil }, "\(lines)")
    }

    @Test("JOURNAL_STREAM inherited by a worker whose stderr is elsewhere leaves the lines timestamped, unprefixed")
    func inheritedJournalStreamIsIgnored() async throws {
        let lines = try await logLines(
            configuration: "log:\n  level: info\n", extraEnvironment: ["JOURNAL_STREAM": "1:1"])
        #expect(!lines.isEmpty)
        for line in lines {
            #expect(line.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "#, options: .regularExpression) != nil, "\(line)")
        }
    }

    @Test("log.format json writes one object per line with time, level, label, message and the metadata as fields")
    func jsonLinesAreObjects() async throws {
        let lines = try await logLines(configuration: "log:\n  level: info\n  format: json\n")
        let objects = try lines.map { line in
            let value = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(value as? [String: Any], "\(line)")
        }
        for object in objects {
            #expect(object["time"] is String && object["level"] is String && object["message"] is String, "\(object)")
            #expect(object["label"] as? String == "ipwatcher" || (object["label"] as? String)?.hasPrefix("ipwatcher") == true)
        }
        let failures = objects.filter { ($0["message"] as? String)?.contains("cannot connect to Redis") == true }
        #expect(Set(failures.compactMap { $0["connection"] as? String }) == ["pop", "write"], "\(lines)")
        #expect(failures.allSatisfy { $0["level"] as? String == "warning" }, "\(lines)")
    }

    @Test("--log-format json under the journal: the priority, then the object")
    func jsonUnderJournalKeepsPriority() async throws {
        let lines = try await logLines(
            configuration: "log:\n  level: info\n", arguments: ["--log-format", "json"], standardErrorIsJournal: true)
        let failures = lines.filter { $0.contains("cannot connect to Redis") }
        #expect(failures.count == 2, "\(lines)")
        for line in failures {
            #expect(line.hasPrefix("<4>{"), "\(line)")
            let object = try JSONSerialization.jsonObject(with: Data(line.dropFirst(3).utf8)) as? [String: Any]
            #expect(object?["level"] as? String == "warning", "\(line)")
        }
    }
}
