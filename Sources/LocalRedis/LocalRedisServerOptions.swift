/// Options for a private redis-server.
///
/// The defaults give a throwaway, unauthenticated, non-persistent server listening on a free loopback TCP port
/// and on a unix socket in its own directory, which is what most tests need.
public struct LocalRedisServerOptions: Sendable, Hashable {
    /// Listen on a free loopback TCP port (127.0.0.1) chosen by the launcher; when false the plain port is disabled (`port 0`).
    public var tcp: Bool = true
    /// Also listen on `<directory>/redis.sock`, readable only by the current user (`unixsocketperm 700`).
    public var unixSocket: Bool = true
    /// Password of the default user (`requirepass`); written to the config file, never to the command line.
    public var password: String? = nil
    /// Password this server gives its master when it replicates (`masterauth`); written to the config file, never
    /// to the command line.
    ///
    /// Needed on every node of a replicated setup whose master has a ``password``: a Sentinel failover may turn any
    /// node, the old master included, into a replica.
    public var masterPassword: String? = nil
    /// Raw ACL rules, each written as a `user <rule>` line of the config file, e.g. `"worker on >secret ~ips -@all +blpop"`.
    ///
    /// They are applied after ``password``, so a rule for `default` replaces it. A rule must not contain a line break.
    public var aclUsers: [String] = []
    /// When set, the server also listens for TLS on a second free loopback port.
    public var tls: LocalRedisTLS? = nil
    /// Persist every write to an append-only file (`appendfsync always`) so data survives ``LocalRedisServer/kill()``
    /// followed by ``LocalRedisServer/restart()``; otherwise nothing is ever written to disk.
    public var appendOnly: Bool = false
    /// Arguments appended to the redis-server command line after the config file, e.g. `["--maxmemory", "10mb"]`.
    ///
    /// They are visible in the process list, so don't put secrets here. Readiness of a server without a unix socket
    /// is confirmed from its log, so don't raise `loglevel` above `notice` on such a server.
    public var extraArguments: [String] = []

    /// Creates the default options; set the properties to deviate.
    public init() {}
}
