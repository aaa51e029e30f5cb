import Logging

extension IPWatcherConfiguration {
    /// The `log` section.
    public struct Log: Sendable, Hashable {
        /// Least severe level that is logged.
        public var level: Logger.Level
        /// Text lines or JSON objects; either way with syslog priorities when stderr is the journal.
        public var format: LogFormat

        /// Creates the section; the level defaults to `info`, the format to `text`.
        public init(level: Logger.Level = .info, format: LogFormat = .text) {
            self.level = level
            self.format = format
        }
    }
}
