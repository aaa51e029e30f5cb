import Foundation
import IPWatcherDaemon
import Logging

/// One-time logging setup for the command-line tool: swift-log to stderr, one line per event.
///
/// ``StandardErrorLogHandler`` writes no colour codes, so journald stores clean lines, and quotes and escapes
/// every metadata value, so text from Redis cannot add lines or fields.
enum LoggingSetup {
    /// Installs the stderr handler at `level` in `format`, with syslog priorities when stderr is the journal;
    /// later calls are ignored by swift-log's bootstrap rules, so call it once.
    static func bootstrap(level: Logger.Level, format: LogFormat = .text) {
        let style = LogLineStyle.detect(format: format, environment: ProcessInfo.processInfo.environment)
        LoggingSystem.bootstrap { label in
            StandardErrorLogHandler(label: label, level: level, style: style)
        }
    }
}
