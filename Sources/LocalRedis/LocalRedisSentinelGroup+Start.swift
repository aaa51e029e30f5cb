extension LocalRedisSentinelGroup {
    /// How long the replicas may take to finish their first sync; on loopback, without data, milliseconds.
    private static let replicationTimeout: Duration = .seconds(15)
    /// How long the sentinels may take to find the replicas and each other; they say hello every 2 s.
    private static let startupHealthTimeout: Duration = .seconds(30)
    private static let replicationPollInterval: Duration = .milliseconds(20)

    /// Starts a master, its replicas and the sentinels that watch them, and returns once the group is healthy.
    ///
    /// The data nodes start at the same time, as in ``LocalRedisServer/start(_:)`` (no persistence, a free port,
    /// a unix socket, and `repl-diskless-sync-delay 0`, since a master waits 5 s for more replicas before each sync
    /// by default, which would delay every attach after a failover by that much); with a password each gets
    /// `requirepass` and `masterauth`. The replicas are attached with `REPLICAOF 127.0.0.1 <master port>` and waited
    /// for until their link is up, before any sentinel starts: a sentinel learns the replicas from the master's
    /// `INFO`, which it reads at once and then only every 10 s. Then the sentinels start at the same time, each with
    /// a `sentinel.conf` of its own (see ``LocalRedisSentinelOptions``). Returns when ``waitUntilHealthy(timeout:)``
    /// would: every sentinel names the master, sees every replica and has had a PONG from every other sentinel.
    /// Takes about 2.3 s, nearly all of it the sentinels' hello messages, sent every 2 s, finding each other.
    ///
    /// Fails with ``LocalRedisSentinelError/invalidArgument(_:)`` for impossible options,
    /// ``LocalRedisSentinelError/nodeFailed(_:)`` without redis-server or when a data node does not start,
    /// ``LocalRedisSentinelError/sentinelFailed(_:)`` when a sentinel does not, and
    /// ``LocalRedisSentinelError/notHealthy(_:)`` when the replicas are not attached within 15 s or the sentinels
    /// do not see the group within 30 s more. On any failure, cancellation included, every process already started
    /// is stopped and its directory removed before the error is thrown.
    public static func start(
        _ options: LocalRedisSentinelOptions = LocalRedisSentinelOptions()
    ) async throws(LocalRedisSentinelError) -> LocalRedisSentinelGroup {
        if let problem = options.problem {
            throw .invalidArgument(problem)
        }
        guard let command = LocalRedisSentinel.launchCommand() else {
            throw .sentinelFailed(
                "neither redis-sentinel nor redis-server was found in PATH or in /usr/bin, /usr/local/bin, /usr/sbin, /opt/homebrew/bin. Install them with `apt-get install redis-server redis-sentinel` (Debian/Ubuntu; scripts/setup does this)"
            )
        }
        let serverOptions = dataNodeOptions(password: options.password)
        let servers: [LocalRedisServer]
        do {
            servers = try await ConcurrentLifecycle.start(count: 1 + options.replicas) { _ async throws(LocalRedisError) in
                try await LocalRedisServer.start(serverOptions)
            } stop: { await $0.stop() }
        } catch {
            throw .nodeFailed(error)
        }

        var sentinels: [LocalRedisSentinel] = []
        do throws(LocalRedisSentinelError) {
            let masterPort = servers[0].port ?? 0
            try await attachReplicas(servers, to: masterPort, password: options.password)
            sentinels = try await ConcurrentLifecycle.start(count: options.sentinels) {
                _ async throws(LocalRedisSentinelError) in
                try await LocalRedisSentinel.start(monitoring: masterPort, options: options, command: command)
            } stop: { await $0.stop() }
            try await waitUntilHealthy(
                servers: servers,
                sentinels: sentinels,
                options: options,
                timeout: startupHealthTimeout,
                context: nil
            )
            return LocalRedisSentinelGroup(options: options, servers: servers, sentinels: sentinels)
        } catch {
            await stop(servers: servers, sentinels: sentinels)
            throw error
        }
    }

    /// The options every data node starts with, master and replicas alike.
    private static func dataNodeOptions(password: String?) -> LocalRedisServerOptions {
        var options = LocalRedisServerOptions()
        options.password = password
        options.masterPassword = password
        options.extraArguments = ["--repl-diskless-sync-delay", "0"]
        return options
    }

    /// Makes every server but the first a replica of 127.0.0.1:`masterPort` and waits until all links are up.
    private static func attachReplicas(
        _ servers: [LocalRedisServer],
        to masterPort: Int,
        password: String?
    ) async throws(LocalRedisSentinelError) {
        for replica in servers.dropFirst() {
            let port = replica.port ?? 0
            let reply = RedisCommandProbe(port: port, password: password)
                .send(["REPLICAOF", "127.0.0.1", String(masterPort)])
            guard case .text? = reply else {
                throw .notHealthy("127.0.0.1:\(port) answered REPLICAOF 127.0.0.1 \(masterPort) with \(describe(reply))")
            }
        }
        let failure = await HealthPolling.failure(
            timeout: replicationTimeout,
            interval: replicationPollInterval,
            problem: {
                guard case .problem(let problem) = replication(of: servers, password: password) else { return nil }
                return problem
            },
            view: { nil },
            context: "(waiting for the replicas' first sync, before starting the sentinels)"
        )
        if let failure {
            throw .notHealthy(failure)
        }
    }
}
