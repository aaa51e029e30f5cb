/// A master that Redis Sentinel watches over: the sentinels to ask, the name they know it by, and how to log in
/// to them.
///
/// An endpoint with a ``RedisEndpoint/Address/sentinel(_:)`` address connects to whichever server the sentinels
/// name as this master at the time: every connect asks them again, so a client that loses its connection finds a
/// promoted replica by itself. The endpoint's own user, password, database and TLS options are the master's;
/// ``username`` and ``password`` here are the sentinels' own (`requirepass` in `sentinel.conf`), which are often
/// different or absent.
public struct RedisSentinelMaster: Sendable, Hashable {
    /// Where one sentinel listens.
    public struct Sentinel: Sendable, Hashable, CustomStringConvertible {
        /// Host name or IP address (IPv6 without brackets).
        public var host: String
        /// TCP port; sentinels listen on 26379 unless told otherwise.
        public var port: Int

        /// Creates a sentinel address.
        public init(host: String, port: Int = RedisSentinelMaster.defaultPort) {
            self.host = host
            self.port = port
        }

        /// `host:port`, with an IPv6 host in brackets.
        public var description: String {
            (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        }
    }

    /// The port sentinels listen on unless told otherwise.
    public static let defaultPort = 26379

    /// The name of the master in the sentinels' configuration (`sentinel monitor <name> …`).
    public var name: String
    /// The sentinels, asked in this order; any one that answers is enough.
    public var sentinels: [Sentinel]
    /// ACL user of the sentinels; nil means `default`.
    public var username: String?
    /// The sentinels' own password; nil when they need none. Never printed.
    public var password: String?

    /// Creates a description of a master behind sentinels.
    public init(name: String, sentinels: [Sentinel], username: String? = nil, password: String? = nil) {
        self.name = name
        self.sentinels = sentinels
        self.username = username
        self.password = password
    }
}
