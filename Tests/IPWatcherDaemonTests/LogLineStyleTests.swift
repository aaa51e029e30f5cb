import Foundation
import IPWatcherDaemon
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The line shapes of ``LogLineStyle``, and how it tells the journal from another stderr.
@Suite("Log line styles")
struct LogLineStyleTests {
    private func line(_ style: LogLineStyle, _ level: Logger.Level = .warning, metadata: Logger.Metadata = [:]) -> String {
        LogLineFormatter.line(
            style: style, timestampMilliseconds: 1_700_000_000_123, level: level, label: "ipwatcher",
            message: "Redis went away", metadata: metadata)
    }

    @Test("text to the journal: the priority, no timestamp, otherwise the usual line")
    func journalText() {
        #expect(
            line(LogLineStyle(format: .text, isJournal: true), metadata: ["connection": "pop"])
                == #"<4>warning ipwatcher: Redis went away connection="pop""#)
        #expect(
            line(LogLineStyle(format: .text, isJournal: false), metadata: ["connection": "pop"])
                == #"2023-11-14T22:13:20.123Z warning ipwatcher: Redis went away connection="pop""#)
    }

    @Test("each level has its syslog priority", arguments: [
        (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func priorities(level: Logger.Level, priority: Int) {
        #expect(line(LogLineStyle(format: .text, isJournal: true), level).hasPrefix("<\(priority)>\(level.rawValue) "))
    }

    @Test("JSON keeps numbers and booleans typed, nests arrays and dictionaries, and renames reserved keys")
    func jsonFields() throws {
        let text = line(
            LogLineStyle(format: .json),
            metadata: [
                "entries": .stringConvertible(42), "dry_run": .stringConvertible(true), "units": ["a", "b"],
                "rule": ["name": "default"], "message": "from metadata", "unit": "\"}\n{\"level\":\"forged",
            ])
        #expect(!text.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["time"] as? String == "2023-11-14T22:13:20.123Z")
        #expect(object["level"] as? String == "warning")
        #expect(object["label"] as? String == "ipwatcher")
        #expect(object["message"] as? String == "Redis went away")
        #expect(object["metadata_message"] as? String == "from metadata")
        #expect((object["entries"] as? NSNumber)?.intValue == 42)
        #expect(object["dry_run"] as? Bool == true)
        #expect(object["units"] as? [String] == ["a", "b"])
        #expect((object["rule"] as? [String: String]) == ["name": "default"])
        #expect(object["unit"] as? String == "\"}\n{\"level\":\"forged")
    }

    @Test("JOURNAL_STREAM counts only when it names this process's stderr")
    func journalDetection() {
        var status = stat()
        #expect(fstat(2, &status) == 0)
        #expect(LogLineStyle.standardErrorIsJournal("\(status.st_dev):\(status.st_ino)"))
        #expect(!LogLineStyle.standardErrorIsJournal("\(status.st_dev):\(status.st_ino &+ 1)"))
        #expect(!LogLineStyle.standardErrorIsJournal(nil))
        #expect(!LogLineStyle.standardErrorIsJournal(""))
        #expect(!LogLineStyle.standardErrorIsJournal("12:"))
        #expect(!LogLineStyle.standardErrorIsJournal("a:b"))
        #expect(LogLineStyle.detect(format: .json, environment: [:]) == LogLineStyle(format: .json, isJournal: false))
    }
}
