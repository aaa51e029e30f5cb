import Logging
import NIOCore
import NIOPosix
import RESP
import Synchronization

/// A shared, reconnecting Redis client: one pipelined connection kept up by ``run()``.
///
/// ``run()`` is the client's long-running work — connect, wait for the connection to drop, back off with
/// jitter, reconnect — and belongs in a service group or task group; it returns when its task is cancelled.
/// Commands sent while there is no connection wait for one up to the command timeout (before the first connection
/// up to the connect timeout if that is longer), then fail with
/// ``RedisError/notConnected(lastError:)``. A command in flight when the connection drops fails with
/// ``RedisError/connectionClosed(reason:)`` and is not retried here, since it may have run: retrying is the
/// caller's decision. Blocking commands hold the connection's reply queue for their whole block time, so give
/// them a client of their own.
public final class RedisServerClient: RedisCommandExecutor {
    /// The server this client keeps a connection to.
    public let endpoint: RedisEndpoint
    /// Timeouts, handshake and backoff settings.
    public let configuration: RedisConnectionConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let onStateChange: (@Sendable (RedisConnectionState) -> Void)?
    private let shared = Mutex(Shared())

    private struct Shared {
        var state: RedisConnectionState = .idle
        var connection: RedisConnection?
        var waiters = RedisWaiters<RedisConnection>()
        var lastError: String?
        var connects = 0
        /// Set by ``stopWaitingForConnection()``: no command waits for a connection any more.
        var failsFast = false

        /// The live connection, or the error a command gets at once; nil when it must wait.
        func immediateConnection() -> Result<RedisConnection, any Error>? {
            if let connection, connection.isActive { return .success(connection) }
            if case .shutdown = state { return .failure(RedisError.shutdown) }
            if failsFast { return .failure(RedisError.notConnected(lastError: lastError)) }
            return nil
        }
    }

    /// Creates a client; nothing connects until ``run()`` starts.
    ///
    /// `onStateChange` is called on every state change, from whichever thread made it; keep it short.
    public init(
        endpoint: RedisEndpoint,
        configuration: RedisConnectionConfiguration = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "ipwatcher.redis"),
        onStateChange: (@Sendable (RedisConnectionState) -> Void)? = nil
    ) {
        self.endpoint = endpoint
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        var logger = logger
        logger[metadataKey: "redis"] = "\(endpoint)"
        self.logger = logger
        self.onStateChange = onStateChange
    }

    /// What the client is doing about its connection right now.
    public var state: RedisConnectionState { shared.withLock { $0.state } }

    /// How many connections ``run()`` has established, the first included; one more than the reconnects.
    public var connectionCount: Int { shared.withLock { $0.connects } }

    /// Keeps a connection up until the calling task is cancelled.
    ///
    /// Throws only when a connect attempt fails with one of
    /// ``RedisConnectionConfiguration/fatalConnectErrorCodes``; every other failure is retried, and logged as
    /// ``ConnectionFailureReporter`` decides. Behind sentinels a ``RedisSentinelWatcher`` runs beside the
    /// connection and closes it when the sentinels name another master, so the next connect finds the new one.
    public func run() async throws {
        guard let watcher = RedisSentinelWatcher(
            endpoint: endpoint, configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
        else {
            return try await keepConnected()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await watcher.run { [self] master in
                    shared.withLock { $0.connection }?.closeUnlessConnected(to: master, logger: logger)
                }
            }
            group.addTask { try await self.keepConnected() }
            // keepConnected ends first: when cancelled, or with a fatal error; the watcher only when cancelled.
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// Connects, waits for the connection to drop, backs off and reconnects, until cancelled.
    private func keepConnected() async throws {
        var attempt = 0
        // An outage is logged when it starts, changes and ends, and every 30 s between: not at every attempt.
        var failures = ConnectionFailureReporter()
        while !Task.isCancelled {
            attempt += 1
            setState(.connecting(attempt: attempt))
            let connection: RedisConnection
            do {
                connection = try await RedisConnection.connect(
                    to: endpoint, configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
            } catch {
                if Task.isCancelled { break }
                if case RedisError.server(let serverError) = error,
                    configuration.fatalConnectErrorCodes.contains(serverError.code)
                {
                    logger.error("Redis refused the connection; not retrying", metadata: ["error": "\(error)"])
                    shared.withLock { $0.lastError = "\(error)" }
                    shutDown()
                    throw error
                }
                let delay = configuration.backoff.delay(attempt: attempt)
                shared.withLock { $0.lastError = "\(error)" }
                setState(.backingOff(attempt: attempt, delay: delay, lastError: "\(error)"))
                failures.failed(RedisConnectFailure.cause(of: error), at: .now)?
                    .log(to: logger, failure: "cannot connect to Redis", recovery: "reconnected to Redis")
                try? await Task.sleep(for: delay)
                continue
            }
            attempt = 0
            publish(connection)
            failures.connected(at: .now)?
                .log(to: logger, failure: "cannot connect to Redis", recovery: "reconnected to Redis")
            await withTaskCancellationHandler {
                try? await connection.closeFuture.get()
            } onCancel: {
                connection.channel.close(promise: nil)
            }
            shared.withLock {
                $0.connection = nil
                $0.lastError = "connection lost"
            }
            if !Task.isCancelled {
                logger.warning("lost the Redis connection; reconnecting")
            }
        }
        shutDown()
    }

    /// The current connection, waiting for one to come up: up to the command timeout, or before the first
    /// connection up to the connect timeout if that is longer (``connectionWaitLimit(connectedBefore:)``).
    public func connection() async throws -> RedisConnection {
        let connectedBefore: Bool
        switch shared.withLock({ ($0.immediateConnection(), $0.connects > 0) }) {
        case (let outcome?, _): return try outcome.get()
        case (nil, let before): connectedBefore = before
        }
        return try await RedisWaiters.wait(
            on: eventLoopGroup.any(), timeout: connectionWaitLimit(connectedBefore: connectedBefore),
            join: { promise in
                shared.withLock { shared in
                    // The connection may have come up since the look above.
                    if let outcome = shared.immediateConnection() { return .ready(outcome) }
                    return .waiting(shared.waiters.add(promise))
                }
            },
            leave: { [self] id in shared.withLock { $0.waiters.remove(id) } },
            timedOut: { [self] in RedisError.notConnected(lastError: shared.withLock { $0.lastError }) })
    }

    /// How long a command waits for a connection: the command timeout, except before the first connection, whose
    /// connect (with its handshake) may take up to the connect timeout.
    ///
    /// A fresh client under load otherwise failed commands with ``RedisError/notConnected(lastError:)`` while its
    /// first connect was still under way and would have succeeded.
    func connectionWaitLimit(connectedBefore: Bool) -> Duration {
        connectedBefore ? configuration.commandTimeout : max(configuration.commandTimeout, configuration.connectTimeout)
    }

    /// From now on, a command sent while there is no connection fails at once instead of waiting for one, and
    /// so do the commands already waiting. Commands on a live connection are unaffected.
    ///
    /// For a graceful shutdown while Redis is away: waiting up to the command timeout would only delay the exit.
    public func stopWaitingForConnection() {
        let (waiters, lastError) = shared.withLock { shared in
            shared.failsFast = true
            return (shared.waiters.removeAll(), shared.lastError)
        }
        for promise in waiters { promise.fail(RedisError.notConnected(lastError: lastError)) }
    }

    public func send(_ command: RESPCommand, timeout: Duration? = nil) async throws -> RESPToken {
        try await connection().send(command, timeout: timeout)
    }

    public func pipeline(_ commands: RESPCommandEncoder, timeout: Duration? = nil) async throws -> [RESPToken] {
        try await connection().pipeline(commands, timeout: timeout)
    }

    /// Runs a blocking command (`BLPOP`, `BLMPOP`, `BLMOVE`) that may wait on the server for up to `blockFor`.
    public func sendBlocking(_ command: RESPCommand, blockFor: Duration) async throws -> RESPToken {
        try await connection().sendBlocking(command, blockFor: blockFor)
    }

    private func publish(_ connection: RedisConnection) {
        let waiters = shared.withLock { shared in
            shared.connection = connection
            shared.connects += 1
            shared.lastError = nil
            return shared.waiters.removeAll()
        }
        setState(.ready)
        var metadata: Logger.Metadata = ["protocol": "RESP\(connection.protocolVersion)"]
        // Behind sentinels the endpoint names them; which server is master now is the connection's.
        if case .sentinel = endpoint.address { metadata["master"] = "\(connection.endpoint)" }
        logger.info("connected to Redis", metadata: metadata)
        for promise in waiters { promise.succeed(connection) }
    }

    private func shutDown() {
        let (waiters, connection) = shared.withLock { shared in
            let connection = shared.connection
            shared.connection = nil
            return (shared.waiters.removeAll(), connection)
        }
        setState(.shutdown)
        connection?.channel.close(promise: nil)
        for promise in waiters { promise.fail(RedisError.shutdown) }
    }

    private func setState(_ state: RedisConnectionState) {
        let changed = shared.withLock { shared in
            guard shared.state != state else { return false }
            shared.state = state
            return true
        }
        if changed {
            logger.debug("Redis connection state", metadata: ["state": "\(state)"])
            onStateChange?(state)
        }
    }
}

extension RedisServerClient {
    /// Runs `body` with a client whose ``run()`` goes on in a child task, and stops it when `body` returns.
    ///
    /// For command-line tools and tests that need a client for the length of one piece of work.
    public static func withClient<Result>(
        endpoint: RedisEndpoint,
        configuration: RedisConnectionConfiguration = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "ipwatcher.redis"),
        _ body: (RedisServerClient) async throws -> Result
    ) async throws -> Result {
        let client = RedisServerClient(
            endpoint: endpoint, configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}
