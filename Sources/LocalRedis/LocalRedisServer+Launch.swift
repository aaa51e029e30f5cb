import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension LocalRedisServer {
    /// Where a server listens; fixed for the life of an instance so ``restart()`` keeps its addresses.
    struct Endpoints: Sendable {
        var port: Int?
        var tlsPort: Int?
        var socketPath: String?
    }

    /// Outcome of one launch that did not fail outright.
    enum LaunchAttempt: Sendable {
        case ready(RedisChildProcess)
        /// A port was taken between choosing it and the server binding it; carries the log tail.
        case addressInUse(String)
    }

    private static let maximumPortAttempts = 5
    private static let readinessTimeout: Duration = .seconds(10)
    private static let pollInterval: Duration = .milliseconds(20)
    /// `sun_path` holds 104 bytes on macOS and 108 on Linux, terminator included.
    static let maximumSocketPathLength = 103

    /// Starts a private redis-server and returns once it accepts connections.
    ///
    /// Picks free loopback ports, writes `redis.conf` into a fresh directory under the temporary directory
    /// (prefix `ipwatcher-redis-`) and launches the server. If a chosen port is taken before the server binds it,
    /// it retries with new ports up to 5 times. Waiting for readiness honours task cancellation, which ends in
    /// ``LocalRedisError/notReady(_:)``. On every failure the child is killed and the directory removed.
    public static func start(_ options: LocalRedisServerOptions = .init()) async throws(LocalRedisError) -> LocalRedisServer {
        try await start(options, reservingClusterBusPorts: false)
    }

    /// ``start(_:)``, optionally choosing only ports whose cluster bus port (port + 10000) is free as well.
    ///
    /// Used for Redis Cluster nodes, which bind that second port at startup; a bus port taken by the time the server
    /// binds it shows as "Address already in use" in the log and is retried with new ports like a taken client port.
    static func start(
        _ options: LocalRedisServerOptions,
        reservingClusterBusPorts: Bool
    ) async throws(LocalRedisError) -> LocalRedisServer {
        try validate(options)
        guard let executable = executablePath() else {
            throw .executableNotFound("redis-server was not found in PATH or in /usr/bin, /usr/local/bin, /usr/sbin, /opt/homebrew/bin")
        }
        let directory = try makeTemporaryDirectory()
        do throws(LocalRedisError) {
            let socketPath = options.unixSocket ? directory + "/redis.sock" : nil
            if let socketPath, socketPath.utf8.count > maximumSocketPathLength {
                throw .launchFailed(
                    "unix socket path \(socketPath) is longer than \(maximumSocketPathLength) bytes; set TMPDIR to a shorter directory or disable unixSocket"
                )
            }
            var lastTail = ""
            for _ in 1...maximumPortAttempts {
                let portCount = (options.tcp ? 1 : 0) + (options.tls != nil ? 1 : 0)
                let ports = reservingClusterBusPorts
                    ? try LoopbackPorts.allocateWithClusterBus(portCount)
                    : try LoopbackPorts.allocate(portCount)
                var remaining = ports[...]
                let port = options.tcp ? remaining.popFirst() : nil
                let tlsPort = options.tls != nil ? remaining.popFirst() : nil
                let endpoints = Endpoints(port: port, tlsPort: tlsPort, socketPath: socketPath)
                switch try await launch(executable: executable, options: options, directory: directory, endpoints: endpoints) {
                case .ready(let child):
                    return LocalRedisServer(
                        options: options,
                        executable: executable,
                        directory: directory,
                        endpoints: endpoints,
                        child: child
                    )
                case .addressInUse(let tail):
                    lastTail = tail
                }
            }
            throw .launchFailed("free ports were taken by other processes \(maximumPortAttempts) times in a row.\n\(lastTail)")
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Writes the config, launches the server and waits until it answers, or until it exits or 10 s pass.
    static func launch(
        executable: String,
        options: LocalRedisServerOptions,
        directory: String,
        endpoints: Endpoints
    ) async throws(LocalRedisError) -> LaunchAttempt {
        let configurationPath = configurationPath(in: directory)
        let text = configuration(options: options, directory: directory, endpoints: endpoints)
        try writePrivateFile(text, to: configurationPath)

        let log = RedisLogFile(path: logPath(in: directory))
        let logOffset = log.size()
        let child = try await RedisChildProcess.launch(
            executable: executable,
            arguments: [configurationPath] + options.extraArguments,
            directory: directory,
            logPath: log.path
        )

        // The unix socket lives in our own directory, so an answer there can only come from our child. A TCP port
        // may briefly be answered by another server that won the race for it, so then the log must confirm too.
        let probe: RedisPingProbe
        let answerIsOurs: Bool
        if let socketPath = endpoints.socketPath {
            probe = RedisPingProbe(endpoint: .unix(path: socketPath), sendsPing: true)
            answerIsOurs = true
        } else if let port = endpoints.port {
            probe = RedisPingProbe(endpoint: .tcp(port: port), sendsPing: true)
            answerIsOurs = false
        } else if let tlsPort = endpoints.tlsPort {
            probe = RedisPingProbe(endpoint: .tcp(port: tlsPort), sendsPing: false)
            answerIsOurs = false
        } else {
            await child.killAndWait()
            throw .launchFailed("no listener is enabled")
        }

        return try await awaitReadiness(
            of: child, probe: probe, answerIsOurs: answerIsOurs, log: log, logOffset: logOffset)
    }

    /// Polls `probe` until the freshly launched `child` answers it, or until it exits or 10 s pass.
    ///
    /// `answerIsOurs` says whether an answer can only come from `child` (a unix socket in its own directory);
    /// otherwise the log must also say it accepts connections. An exit caused by a taken port is
    /// ``LaunchAttempt/addressInUse(_:)``, for the caller to retry with new ports; every other failure, a timeout
    /// and cancellation kill the child and throw, with the log's tail. Shared by servers and sentinels.
    static func awaitReadiness(
        of child: RedisChildProcess,
        probe: RedisPingProbe,
        answerIsOurs: Bool,
        log: RedisLogFile,
        logOffset: UInt64
    ) async throws(LocalRedisError) -> LaunchAttempt {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: readinessTimeout)
        while true {
            if child.hasExited {
                if log.reportsAddressInUse(since: logOffset) {
                    return .addressInUse(log.tail(since: logOffset))
                }
                let status = child.exitStatus.map(String.init) ?? "unknown"
                throw .launchFailed("the process exited with status \(status) during startup.\n\(log.tail(since: logOffset))")
            }
            if probe.succeeds(), answerIsOurs || log.reportsReady(since: logOffset), !child.hasExited {
                return .ready(child)
            }
            if clock.now >= deadline {
                await child.killAndWait()
                throw .notReady("it did not accept connections within 10 s.\n\(log.tail(since: logOffset))")
            }
            do {
                try await Task.sleep(for: pollInterval)
            } catch {
                await child.killAndWait()
                throw .notReady("startup was cancelled.\n\(log.tail(since: logOffset))")
            }
        }
    }

    /// Writes a config file readable only by its owner, since it may hold passwords (the directory is private too).
    static func writePrivateFile(_ text: String, to path: String) throws(LocalRedisError) {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        } catch {
            throw .launchFailed("cannot write \(path): \(error)")
        }
    }

    /// Rejects options that cannot work before anything is created.
    private static func validate(_ options: LocalRedisServerOptions) throws(LocalRedisError) {
        if !options.tcp, !options.unixSocket, options.tls == nil {
            throw .launchFailed("the options enable no listener; set tcp, unixSocket or tls")
        }
        for rule in options.aclUsers where rule.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) {
            throw .launchFailed("ACL rule \(rule.debugDescription) contains a line break, which would corrupt redis.conf")
        }
    }

    /// Creates a fresh directory only the current user can enter, named `<prefix>XXXXXX`.
    static func makeTemporaryDirectory(prefix: String = "ipwatcher-redis-") throws(LocalRedisError) -> String {
        let base = FileManager.default.temporaryDirectory.path
        let template = (base as NSString).appendingPathComponent(prefix + "XXXXXX")
        var bytes = Array(template.utf8CString)
        let created = bytes.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let baseAddress = buffer.baseAddress else { return false }
            return mkdtemp(baseAddress) != nil
        }
        guard created else {
            throw .launchFailed("cannot create a temporary directory from \(template): \(String(cString: strerror(errno)))")
        }
        return String(decoding: bytes.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Recreates the directory after ``stop()`` removed it, keeping it private.
    static func ensureDirectory(_ directory: String) throws(LocalRedisError) {
        if mkdir(directory, 0o700) != 0, errno != EEXIST {
            throw .launchFailed("cannot recreate \(directory): \(String(cString: strerror(errno)))")
        }
    }
}
