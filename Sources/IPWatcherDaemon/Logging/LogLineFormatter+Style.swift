import Logging

extension LogLineFormatter {
    /// The line for an event in `style`, without the trailing line feed.
    ///
    /// Text to the journal drops the timestamp (journald has its own) and starts with the priority; JSON to the
    /// journal keeps its `time` field behind the priority.
    public static func line(
        style: LogLineStyle, timestampMilliseconds: Int64, level: Logger.Level, label: String, message: String,
        metadata: Logger.Metadata
    ) -> String {
        let body: String
        switch style.format {
        case .text:
            body =
                style.isJournal
                ? untimedLine(level: level, label: label, message: message, metadata: metadata)
                : line(
                    timestampMilliseconds: timestampMilliseconds, level: level, label: label, message: message,
                    metadata: metadata)
        case .json:
            body = jsonLine(
                timestampMilliseconds: timestampMilliseconds, level: level, label: label, message: message,
                metadata: metadata)
        }
        return style.isJournal ? "<\(syslogPriority(of: level))>" + body : body
    }

    /// The syslog priority journald files an event under: `trace` and `debug` 7, `info` 6, `notice` 5,
    /// `warning` 4, `error` 3, `critical` 2.
    public static func syslogPriority(of level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
