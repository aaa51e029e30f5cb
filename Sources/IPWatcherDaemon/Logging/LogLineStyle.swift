#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a log line looks like: its ``LogFormat``, and whether it goes to journald.
///
/// When stderr is the journal, each line starts with its syslog priority (`<4>`), which journald strips and
/// stores as the entry's `PRIORITY`, so `journalctl -p warning` filters by level; text lines then carry no
/// timestamp, since journald stamps every entry itself. JSON lines keep their `time` field either way: a shipper
/// that reads the journal's `MESSAGE` still gets the whole object.
public struct LogLineStyle: Sendable, Hashable {
    /// Text or JSON.
    public var format: LogFormat
    /// True when lines carry a syslog priority prefix (stderr is the journal).
    public var isJournal: Bool

    /// Creates a style.
    public init(format: LogFormat = .text, isJournal: Bool = false) {
        self.format = format
        self.isJournal = isJournal
    }

    /// The style for `format`, journal prefixes on when `JOURNAL_STREAM` names the open standard error.
    ///
    /// systemd sets `JOURNAL_STREAM=<device>:<inode>` for a service whose stderr (or stdout) it connects to the
    /// journal. A child process inherits the variable even when its stderr has been redirected elsewhere (a pipe,
    /// a file), so the variable alone is not enough: the device and inode of descriptor 2 must match it.
    public static func detect(format: LogFormat, environment: [String: String]) -> LogLineStyle {
        LogLineStyle(format: format, isJournal: standardErrorIsJournal(environment["JOURNAL_STREAM"]))
    }

    /// True when `journalStream` (`<device>:<inode>`, both decimal) is the device and inode of descriptor 2.
    public static func standardErrorIsJournal(_ journalStream: String?) -> Bool {
        guard let journalStream else { return false }
        let parts = journalStream.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(2, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }
}
