import Logging

/// One-time logging setup for the command-line tool: swift-log to stderr, one line per event.
///
/// swift-log's stream handler writes no colour codes, so journald stores clean lines.
enum LoggingSetup {
    /// Installs the stderr handler at `level`; later calls are ignored by swift-log's bootstrap rules, so call it once.
    static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
