import Logging
import NIOCore
import NIOPosix
import RESP
import Synchronization

/// A shared, reconnecting Redis client: one pipelined connection kept up by ``run()``.
///
/// ``run()`` is the client's long-running work — connect, wait for the connection to drop, back off with
/// jitter, reconnect — and belongs in a service group or task group; it returns when its task is cancelled.
/// Commands sent while there is no connection wait for one up to the command timeout, then fail with
/// ``RedisError/notConnected(lastError:)``. A command in flight when the connection drops fails with
/// ``RedisError/connectionClosed(reason:)`` and is not retried here, since it may have run: retrying is the
/// caller's decision. Blocking commands hold the connection's reply queue for their whole block time, so give
/// them a client of their own.
public final class RedisClient: RedisCommandExecutor {
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
        var waiters: [UInt64: EventLoopPromise<RedisConnection>] = [:]
        var nextWaiterID: UInt64 = 0
        var lastError: String?
        var connects = 0
        /// Set by ``stopWaitingForConnection()``: no command waits for a connection any more.
        var failsFast = false
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
    /// ``ConnectionFailureReporter`` decides.
    public func run() async throws {
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

    /// The current connection, waiting up to the command timeout for one to come up.
    public func connection() async throws -> RedisConnection {
        let eventLoop = eventLoopGroup.any()
        let outcome: Result<RedisConnection, RedisError>? = shared.withLock { shared in
            if let connection = shared.connection, connection.isActive { return .success(connection) }
            if case .shutdown = shared.state { return .failure(.shutdown) }
            if shared.failsFast { return .failure(.notConnected(lastError: shared.lastError)) }
            return nil
        }
        if let outcome { return try outcome.get() }

        let promise = eventLoop.makePromise(of: RedisConnection.self)
        let id = shared.withLock { shared in
            shared.nextWaiterID += 1
            shared.waiters[shared.nextWaiterID] = promise
            return shared.nextWaiterID
        }
        // The connection may have come up between the two locked sections.
        if let connection = shared.withLock({ $0.connection }), connection.isActive {
            removeWaiter(id)?.succeed(connection)
        }
        let timeout = eventLoop.scheduleTask(in: TimeAmount(configuration.commandTimeout)) { [self] in
            let lastError = shared.withLock { $0.lastError }
            removeWaiter(id)?.fail(RedisError.notConnected(lastError: lastError))
        }
        defer { timeout.cancel() }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: { [self] in
            removeWaiter(id)?.fail(CancellationError())
        }
    }

    /// From now on, a command sent while there is no connection fails at once instead of waiting for one, and
    /// so do the commands already waiting. Commands on a live connection are unaffected.
    ///
    /// For a graceful shutdown while Redis is away: waiting up to the command timeout would only delay the exit.
    public func stopWaitingForConnection() {
        let waiters = shared.withLock { shared in
            shared.failsFast = true
            let waiters = shared.waiters
            shared.waiters.removeAll()
            return (waiters, shared.lastError)
        }
        for promise in waiters.0.values { promise.fail(RedisError.notConnected(lastError: waiters.1)) }
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

    private func removeWaiter(_ id: UInt64) -> EventLoopPromise<RedisConnection>? {
        shared.withLock { $0.waiters.removeValue(forKey: id) }
    }

    private func publish(_ connection: RedisConnection) {
        let waiters = shared.withLock { shared in
            shared.connection = connection
            shared.connects += 1
            shared.lastError = nil
            let waiters = shared.waiters
            shared.waiters.removeAll()
            return waiters
        }
        setState(.ready)
        logger.info("connected to Redis", metadata: ["protocol": "RESP\(connection.protocolVersion)"])
        for promise in waiters.values { promise.succeed(connection) }
    }

    private func shutDown() {
        let (waiters, connection) = shared.withLock { shared in
            let waiters = shared.waiters
            shared.waiters.removeAll()
            let connection = shared.connection
            shared.connection = nil
            return (waiters, connection)
        }
        setState(.shutdown)
        connection?.channel.close(promise: nil)
        for promise in waiters.values { promise.fail(RedisError.shutdown) }
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

extension RedisClient {
    /// Runs `body` with a client whose ``run()`` goes on in a child task, and stops it when `body` returns.
    ///
    /// For command-line tools and tests that need a client for the length of one piece of work.
    public static func withClient<Result>(
        endpoint: RedisEndpoint,
        configuration: RedisConnectionConfiguration = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "ipwatcher.redis"),
        _ body: (RedisClient) async throws -> Result
    ) async throws -> Result {
        let client = RedisClient(
            endpoint: endpoint, configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}
