extension IPWatcherConfiguration {
    /// A Redis password read from the environment or a password file, which prints as `***`.
    ///
    /// Wrapping the string keeps it out of `print`, `dump` and string interpolation by accident; read
    /// ``value`` only to hand it to the Redis client.
    public struct RedisPassword: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
        CustomReflectable
    {
        /// Where a password came from, with the spelling used in messages.
        public enum Source: String, Sendable, Hashable {
            /// The `IPWATCHER_REDIS_PASSWORD` environment variable.
            case environment
            /// The file named by `redis.password_file`.
            case passwordFile = "password_file"
        }

        /// The password itself.
        public var value: String
        /// Where it came from.
        public var source: Source

        /// Wraps a password.
        public init(value: String, source: Source) {
            self.value = value
            self.source = source
        }

        /// Always `***`.
        public var description: String { "***" }
        /// Always `***`.
        public var debugDescription: String { "***" }
        /// A mirror without children, so `dump` shows nothing of the value.
        public var customMirror: Mirror {
            Mirror(self, children: [:] as KeyValuePairs<String, Any>, displayStyle: .struct)
        }
    }
}
