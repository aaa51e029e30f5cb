import Foundation

extension LocalRedisSentinel {
    private static let maximumPortAttempts = 5

    /// The command that runs a sentinel: `[redis-sentinel]`, or `[redis-server, "--sentinel"]` without it; nil when
    /// neither is found (searched as ``LocalRedisServer/executablePath(named:)`` does).
    ///
    /// Debian's redis-sentinel package adds `redis-sentinel`, a link to the very binary redis-server is; given
    /// `--sentinel`, redis-server runs as a sentinel just the same.
    public static func launchCommand() -> [String]? {
        if let sentinel = LocalRedisServer.executablePath(named: "redis-sentinel") { return [sentinel] }
        if let server = LocalRedisServer.executablePath(named: "redis-server") { return [server, "--sentinel"] }
        return nil
    }

    /// Starts a sentinel that monitors the master at 127.0.0.1:`masterPort` as `options` say, and returns once it
    /// answers on its unix socket.
    ///
    /// Writes `sentinel.conf` into a fresh private directory (prefix `ipwatcher-redis-sentinel-`) on a free port,
    /// retrying with a new port up to 5 times when another process takes it first. On failure, cancellation
    /// included, the process is killed and the directory removed.
    static func start(
        monitoring masterPort: Int,
        options: LocalRedisSentinelOptions,
        command: [String]
    ) async throws(LocalRedisSentinelError) -> LocalRedisSentinel {
        let directory: String
        do {
            directory = try LocalRedisServer.makeTemporaryDirectory(prefix: "ipwatcher-redis-sentinel-")
        } catch {
            throw .sentinelFailed(describe(error))
        }
        do throws(LocalRedisSentinelError) {
            let socketPath = socketPath(in: directory)
            guard socketPath.utf8.count <= LocalRedisServer.maximumSocketPathLength else {
                throw .sentinelFailed(
                    "unix socket path \(socketPath) is longer than \(LocalRedisServer.maximumSocketPathLength) bytes; set TMPDIR to a shorter directory"
                )
            }
            var lastTail = ""
            for _ in 1...maximumPortAttempts {
                let text: String
                let port: Int
                do {
                    port = try LoopbackPorts.allocate(1)[0]
                    text = configuration(port: port, masterPort: masterPort, options: options, directory: directory)
                    try LocalRedisServer.writePrivateFile(text, to: configurationPath(in: directory))
                } catch {
                    throw .sentinelFailed(describe(error))
                }
                switch try await launch(command: command, directory: directory) {
                case .ready(let child):
                    return LocalRedisSentinel(
                        port: port, directory: directory, password: options.sentinelPassword, command: command,
                        child: child)
                case .addressInUse(let tail):
                    lastTail = tail
                }
            }
            throw .sentinelFailed("free ports were taken by other processes \(maximumPortAttempts) times in a row.\n\(lastTail)")
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Launches a sentinel from the `sentinel.conf` in `directory` and waits until it answers on its unix socket,
    /// or exits, or 10 s pass.
    ///
    /// A sentinel logs no "ready to accept connections" line, so the answer must come over the socket in its own
    /// directory, which only this child can have bound.
    static func launch(
        command: [String],
        directory: String
    ) async throws(LocalRedisSentinelError) -> LocalRedisServer.LaunchAttempt {
        let log = RedisLogFile(path: logPath(in: directory))
        let logOffset = log.size()
        do {
            let child = try await RedisChildProcess.launch(
                executable: command[0],
                // The config file must come first: redis-server takes its first argument as one unless it starts with "--".
                arguments: [configurationPath(in: directory)] + command.dropFirst(),
                directory: directory,
                logPath: log.path
            )
            return try await LocalRedisServer.awaitReadiness(
                of: child,
                probe: RedisPingProbe(endpoint: .unix(path: socketPath(in: directory)), sendsPing: true),
                answerIsOurs: true,
                log: log,
                logOffset: logOffset
            )
        } catch {
            throw .sentinelFailed(describe(error))
        }
    }

    /// Contents of `sentinel.conf` for the first launch; the sentinel rewrites it from then on.
    ///
    /// Passwords go into the file, never onto the command line. They are quoted here, but Redis 7.0 writes
    /// `auth-pass` and `sentinel-pass` back unquoted when it rewrites the file, which is why the options refuse
    /// passwords with spaces or quotes.
    static func configuration(
        port: Int,
        masterPort: Int,
        options: LocalRedisSentinelOptions,
        directory: String
    ) -> String {
        let name = options.masterName
        var lines = [
            "# Private Redis Sentinel started by ipwatcher's LocalRedis; rewritten by the sentinel, deleted when it is stopped.",
            "port \(port)",
            "bind 127.0.0.1",
            "protected-mode no",
            "daemonize no",
            "supervised no",
            // Keeps the config path in the command line, as for LocalRedisServer, so leftovers can be found.
            "set-proc-title no",
            "dir \(LocalRedisServer.quoted(directory))",
            "logfile \(LocalRedisServer.quoted(logPath(in: directory)))",
            "loglevel notice",
            "unixsocket \(LocalRedisServer.quoted(socketPath(in: directory)))",
            "unixsocketperm 700",
        ]
        if let password = options.sentinelPassword {
            lines.append("requirepass \(LocalRedisServer.quoted(password))")
            // What this sentinel gives the others. Redis 7.0 would fall back to requirepass without it; saying so
            // keeps working should the sentinels' passwords ever differ.
            lines.append("sentinel sentinel-pass \(LocalRedisServer.quoted(password))")
        }
        lines.append("sentinel monitor \(name) 127.0.0.1 \(masterPort) \(options.quorum)")
        if let password = options.password {
            lines.append("sentinel auth-pass \(name) \(LocalRedisServer.quoted(password))")
        }
        lines.append("sentinel down-after-milliseconds \(name) \(options.downAfterMilliseconds)")
        lines.append("sentinel failover-timeout \(name) \(options.failoverTimeoutMilliseconds)")
        lines.append("sentinel parallel-syncs \(name) \(options.parallelSyncs)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Path of `sentinel.conf` inside `directory`.
    static func configurationPath(in directory: String) -> String {
        directory + "/sentinel.conf"
    }

    /// Path of the sentinel's log inside `directory`; stdout and stderr are appended to it too.
    static func logPath(in directory: String) -> String {
        directory + "/sentinel.log"
    }

    /// Path of the sentinel's unix socket inside `directory`.
    static func socketPath(in directory: String) -> String {
        directory + "/sentinel.sock"
    }

    /// A ``LocalRedisError``'s explanation without its "redis-server failed to start" framing, which would
    /// misname the process.
    private static func describe(_ error: LocalRedisError) -> String {
        switch error {
        case .executableNotFound(let message): return message
        case .launchFailed(let message): return "could not be launched: \(message)"
        case .notReady(let message): return "did not answer: \(message)"
        }
    }
}
