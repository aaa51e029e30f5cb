import Logging

extension IPWatcherConfiguration {
    /// The `log` section.
    public struct Log: Sendable, Hashable {
        /// Least severe level that is logged.
        public var level: Logger.Level

        /// Creates the section; the level defaults to `info`.
        public init(level: Logger.Level = .info) {
            self.level = level
        }
    }
}
