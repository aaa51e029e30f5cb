import RedisClient

extension IPWatcherConfiguration {
    /// The `redis` section: where the server is, how to log in and how long to wait.
    ///
    /// Its `description`, `debugDescription` and mirror show the URL with its password replaced by `***`, so
    /// printing or dumping a configuration cannot leak the password.
    public struct Redis: Sendable, Hashable {
        /// How the worker runs its Lua scripts.
        public enum Scripts: String, Sendable, Hashable, CaseIterable {
            /// `EVALSHA`, loading each script with `SCRIPT LOAD`: any Redis, and an ACL that may load any script.
            case eval
            /// `FCALL` of the functions `ipwatcher redis install-functions` loaded (Redis ≥ 7.0): the ACL needs
            /// no `SCRIPT LOAD` or `EVALSHA`.
            case functions
        }

        /// `redis://`, `rediss://`, `unix://` or `redis+sentinel://` URL, in the form
        /// ``RedisClient/RedisEndpoint/init(url:)`` accepts;
        /// it may contain a password, so show it only through ``IPWatcherConfiguration/redactedURL``.
        public var url: String
        /// File whose contents (trailing line break removed) are the password; nil for none.
        public var passwordFile: String?
        /// The password that replaces the URL's, read at load time from `IPWATCHER_REDIS_PASSWORD` or
        /// ``passwordFile``; nil to use the URL's, if it has one.
        public var password: RedisPassword?
        /// Sent as `CLIENT SETNAME`; nil sends none.
        public var clientName: String?
        /// Longest wait for a connection and its handshake.
        public var connectTimeout: Duration
        /// Longest wait for a reply to an ordinary command.
        public var commandTimeout: Duration
        /// Largest bulk string the worker's connections accept in a reply, in bytes (`redis.max_bulk_bytes`).
        ///
        /// No reply ipwatcher asks for holds a bulk string near this: queue entries reach it at most
        /// ``Detection/QueueEntryParser/maximumLength`` + 1 bytes long, since the pop scripts cut longer ones
        /// down in Redis, and a batch's packed processing-hash value is unpacked in Redis, never sent. A bigger
        /// bulk closes the connection from its header, before its payload is buffered.
        public var maxBulkBytes: Int
        /// TLS settings that override or add to the `rediss://` URL's options.
        public var tls: TLS
        /// Whether ``url`` names a seed node of a Redis Cluster rather than a single server. A
        /// `redis+cluster://` or `rediss+cluster://` URL (several seeds, comma-separated) implies it.
        public var cluster: Bool
        /// How scripts run; `functions` needs the library installed first.
        public var scripts: Scripts

        /// Creates the section; every parameter defaults to the documented default.
        public init(
            url: String = "redis://127.0.0.1:6379", passwordFile: String? = nil, password: RedisPassword? = nil,
            clientName: String? = "ipwatcher", connectTimeout: Duration = .seconds(5),
            commandTimeout: Duration = .seconds(5), maxBulkBytes: Int = Redis.defaultMaxBulkBytes, tls: TLS = TLS(),
            cluster: Bool = false, scripts: Scripts = .eval
        ) {
            self.cluster = cluster
            self.scripts = scripts
            self.url = url
            self.passwordFile = passwordFile
            self.password = password
            self.clientName = clientName
            self.connectTimeout = connectTimeout
            self.commandTimeout = commandTimeout
            self.maxBulkBytes = maxBulkBytes
            self.tls = tls
        }

        /// 4 MiB: 16,000 times the longest entry the pop scripts let through, room for any host name or id in
        /// cluster topology replies, and far under the 1 GiB that two 520 MB replies once cost.
        public static let defaultMaxBulkBytes = 4 * 1024 * 1024
        /// The smallest `redis.max_bulk_bytes` accepted, so a typo cannot make ordinary replies fail.
        public static let minimumMaxBulkBytes = 64 * 1024
        /// The largest `redis.max_bulk_bytes` accepted: Redis's own largest string.
        public static let maximumMaxBulkBytes = 512 * 1024 * 1024
    }
}

extension IPWatcherConfiguration.Redis: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The section with the URL's password replaced by `***` and the password itself left out.
    public var description: String {
        "Redis(url: \(IPWatcherConfiguration.redactedURL(url)), passwordFile: \(passwordFile ?? "nil"), "
            + "password: \(password == nil ? "nil" : "***"), clientName: \(clientName ?? "nil"), "
            + "connectTimeout: \(connectTimeout), commandTimeout: \(commandTimeout), maxBulkBytes: \(maxBulkBytes), "
            + "tls: \(tls), cluster: \(cluster), scripts: \(scripts.rawValue))"
    }

    /// Same as ``description``: a debug print must not show the password either.
    public var debugDescription: String { description }

    /// A mirror with the URL redacted, for `dump` and debuggers.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "url": IPWatcherConfiguration.redactedURL(url), "passwordFile": passwordFile as Any,
                "password": password as Any, "clientName": clientName as Any, "connectTimeout": connectTimeout,
                "commandTimeout": commandTimeout, "maxBulkBytes": maxBulkBytes, "tls": tls,
            ], displayStyle: .struct)
    }
}
