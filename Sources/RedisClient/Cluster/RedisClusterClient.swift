import Logging
import NIOCore
import NIOPosix
import RESP
import Synchronization

/// A Redis Cluster client: learns which master serves which hash slot and sends each command to the master of the
/// slot of the key the caller names, following `MOVED` and `ASK` redirections.
///
/// ``run()`` is the client's long-running work and belongs in a service group or task group: it learns the slot
/// map from the seeds (`CLUSTER SHARDS`, or `CLUSTER SLOTS` when the server answers that with an error, as Redis 6
/// does), refreshes it every ``refreshInterval``, after a `MOVED` redirection, a `CLUSTERDOWN` error, a lost node
/// connection or a failed command, and keeps one reconnecting ``RedisServerClient`` per master it has sent commands to,
/// running inside ``run()``'s task group. Refreshes asked for while one is running are merged into one more.
/// A client runs once: a second ``run()`` throws ``RedisClusterError/alreadyRunning``.
///
/// Commands sent before the first slot map is known wait for it up to the command timeout, then fail with
/// ``RedisClusterError/topologyUnavailable(lastError:)``. The caller names the key a command is routed by
/// (nothing is guessed from the command's arguments); commands on several keys must use keys of one slot, such
/// as `{user:1}:a` and `{user:1}:b`.
///
/// Redirections: after `MOVED` the command is sent again to the named node and a refresh is asked for; after
/// `ASK` it is sent to the named node preceded by `ASKING`, in one pipeline on one connection, and the map is
/// left as it is. A command is redirected at most ``maximumRedirections`` times, then fails with
/// ``RedisClusterError/tooManyRedirections(command:last:)``. `TRYAGAIN` and `CLUSTERDOWN` replies are retried up
/// to ``maximumTransientRetries`` times with a short, growing pause; after that the error reply is the result.
///
/// Connection errors are not retried: a command in flight when a node's connection drops may have run, so the
/// client asks for a refresh and surfaces the ``RedisError`` (`connectionClosed`, `notConnected`, `timeout`), and
/// retrying is the caller's decision, as with ``RedisServerClient``. The one exception is a command that was never
/// written because its node's client was retired (the node left the slot map): it is routed again.
public final class RedisClusterClient: Sendable {
    /// The endpoints the slot map is first learnt from; also asked when no known master answers.
    ///
    /// The first seed's user, password and TLS settings are used for every node.
    public let seeds: [RedisEndpoint]
    /// Timeouts, handshake and backoff settings of every node connection.
    public let configuration: RedisConnectionConfiguration
    /// How often ``run()`` refreshes the slot map when nothing asks for a refresh earlier.
    public let refreshInterval: Duration
    /// How many `MOVED` or `ASK` redirections one command may follow.
    public static let maximumRedirections = 5
    /// How many times a `TRYAGAIN` or `CLUSTERDOWN` reply is retried before it is returned.
    public static let maximumTransientRetries = 3

    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let usesTLS: Bool
    let shared = Mutex(Shared())
    let nodeStarts: AsyncStream<NodeEntry>
    let nodeStartsContinuation: AsyncStream<NodeEntry>.Continuation
    let refreshRequests: AsyncStream<Void>
    let refreshRequestsContinuation: AsyncStream<Void>.Continuation
    /// The shortest time between two refreshes, so a burst of requests costs one or two.
    let minimumRefreshSpacing: Duration = .milliseconds(100)
    /// The wait before trying again after a refresh in which no node answered.
    let failedRefreshDelay: Duration = .milliseconds(500)

    struct Shared {
        /// The slot map, or the error a command gets at once; nil when it must wait for the first map.
        func immediateTopology() -> Result<RedisClusterTopology, any Error>? {
            if isShutdown { return .failure(RedisError.shutdown) }
            return topology.map { .success($0) }
        }

        var topology: RedisClusterTopology?
        var lastRefreshError: String?
        var topologyWaiters = RedisWaiters<RedisClusterTopology>()
        var nodes: [RedisClusterNodeAddress: NodeEntry] = [:]
        var hasRun = false
        var isShutdown = false
        var refreshCount = 0
        var movedCount = 0
        var askCount = 0
    }

    /// One node's client and the signal that retires it.
    struct NodeEntry: Sendable {
        let address: RedisClusterNodeAddress
        let client: RedisServerClient
        let retired: AsyncStream<Void>
        let retire: AsyncStream<Void>.Continuation
    }

    /// Creates a client; nothing connects until ``run()`` starts.
    ///
    /// Seeds are `redis://` or `rediss://` endpoints of any cluster nodes (see
    /// ``RedisEndpoint/clusterSeeds(url:)`` for a `redis+cluster://` URL). Nodes are reached at the hosts and ports
    /// the cluster reports, with the first seed's credentials and TLS settings (TLS ports when it uses TLS);
    /// their database is always 0, the only one Redis Cluster has.
    public init(
        seeds: [RedisEndpoint],
        configuration: RedisConnectionConfiguration = .init(),
        refreshInterval: Duration = .seconds(30),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "ipwatcher.redis.cluster")
    ) {
        self.seeds = seeds
        self.configuration = configuration
        self.refreshInterval = refreshInterval
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.usesTLS = seeds.first?.tls != nil
        (nodeStarts, nodeStartsContinuation) = AsyncStream.makeStream(of: NodeEntry.self)
        (refreshRequests, refreshRequestsContinuation) = AsyncStream.makeStream(
            of: Void.self, bufferingPolicy: .bufferingNewest(1))
        // The first refresh, done as soon as run() starts.
        refreshRequestsContinuation.yield()
    }

    /// The slot map in use now, or nil before the first refresh succeeded.
    public var topology: RedisClusterTopology? { shared.withLock { $0.topology } }

    /// How many refreshes of the slot map have succeeded, the first included.
    public var refreshCount: Int { shared.withLock { $0.refreshCount } }

    /// How many `MOVED` and `ASK` redirections commands have followed so far.
    public var redirectionCounts: (moved: Int, ask: Int) { shared.withLock { ($0.movedCount, $0.askCount) } }

    /// Asks ``run()`` for a refresh of the slot map soon; returns at once.
    ///
    /// Requests made while a refresh is running are merged into one further refresh.
    public func requestTopologyRefresh() {
        refreshRequestsContinuation.yield()
    }

    /// Learns and refreshes the slot map and runs the node clients until the calling task is cancelled.
    ///
    /// Returns when cancelled; then every node client stops, commands waiting for a connection or the slot map
    /// fail with ``RedisError/shutdown``, and so do later ones. Throws ``RedisClusterError/noSeeds`` without seeds
    /// and ``RedisClusterError/alreadyRunning`` when called a second time. A node client whose `run()` fails
    /// (credentials refused) is logged and stops; commands for that node then fail with ``RedisError/shutdown``.
    public func run() async throws {
        let firstRun = shared.withLock { shared in
            defer { shared.hasRun = true }
            return !shared.hasRun
        }
        guard firstRun else { throw RedisClusterError.alreadyRunning }
        guard !seeds.isEmpty else {
            shutDown()
            throw RedisClusterError.noSeeds
        }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.refreshLoop() }
            group.addTask { await self.refreshTicker() }
            // Ends when the task is cancelled.
            for await entry in nodeStarts {
                group.addTask { await self.runNode(entry) }
            }
            group.cancelAll()
        }
        shutDown()
    }

    /// Runs `command` on the master of `key`'s hash slot and returns its reply; an error reply is thrown as
    /// ``RedisError/server(_:)``.
    ///
    /// `timeout` replaces the configured command timeout for each attempt. See the type's documentation for
    /// redirections, transient errors and connection errors.
    public func send(_ command: RESPCommand, key: String, timeout: Duration? = nil) async throws -> RESPToken {
        try await send(command, slot: RedisHashSlot(key: key), timeout: timeout)
    }

    /// Runs `command` on the master of the hash slot of `key`, given as bytes; otherwise like the `String` overload.
    public func send(_ command: RESPCommand, key: ByteBuffer, timeout: Duration? = nil) async throws -> RESPToken {
        try await send(command, slot: RedisHashSlot(key: key), timeout: timeout)
    }

    /// Runs `command` on the master serving `slot`; otherwise like the overload taking a `String` key.
    ///
    /// For commands whose routing key the caller has already hashed, or that must reach a given slot's owner
    /// without a key (such as `WAIT` after a write).
    public func send(_ command: RESPCommand, slot: RedisHashSlot, timeout: Duration? = nil) async throws -> RESPToken {
        let replies = try await execute([(slot, command)], timeout: timeout)
        return try replies[0].withoutAttributes.throwingServerError()
    }

    /// Runs a keyless command (`PING`, `INFO`, `DBSIZE` of one node) on one master, the first of the slot map.
    ///
    /// Not redirected or retried; an error reply is thrown as ``RedisError/server(_:)``, and a connection error
    /// asks for a refresh before it is thrown.
    public func sendToAnyMaster(_ command: RESPCommand, timeout: Duration? = nil) async throws -> RESPToken {
        let topology = try await waitForTopology()
        guard let master = topology.masters.first else { throw RedisClusterError.topologyUnavailable(lastError: nil) }
        let address = address(of: master)
        do {
            return try await nodeClient(for: address).client.send(command, timeout: timeout)
        } catch let error as RedisError {
            if case .server = error {} else if !Task.isCancelled { requestTopologyRefresh() }
            throw error
        }
    }

    /// Runs the commands, each on the master of its key's slot, and returns their replies in the given order.
    ///
    /// The commands are split by node and each node's share is written as one pipeline, in the given order; the
    /// nodes are sent to concurrently, so commands for different nodes have no order among them. Error replies
    /// are returned as tokens (see ``RESPToken/serverError``). A redirected command is sent again on its own
    /// terms, in later rounds, together with the other redirected commands for the same node. Throws when any
    /// node's connection fails (commands sent to other nodes may have run), when a key's slot has no master
    /// (``RedisClusterError/slotNotServed(_:)``), or when a command exceeds the redirection limit.
    public func pipeline(
        _ commands: [(key: String, command: RESPCommand)], timeout: Duration? = nil
    ) async throws -> [RESPToken] {
        try await execute(commands.map { (RedisHashSlot(key: $0.key), $0.command) }, timeout: timeout)
    }

    // MARK: - Node clients

    /// The address commands for `node` go to: its TLS port when this client uses TLS and the node reports one.
    func address(of node: RedisClusterNode) -> RedisClusterNodeAddress {
        RedisClusterNodeAddress(host: node.host, port: usesTLS ? (node.tlsPort ?? node.port) : node.port)
    }

    /// The endpoint of a node: the first seed's credentials and TLS settings at the node's host and port.
    func endpoint(for address: RedisClusterNodeAddress) -> RedisEndpoint {
        var endpoint = seeds[0]
        endpoint.address = .tcp(host: address.host, port: address.port)
        endpoint.database = 0
        return endpoint
    }

    /// The client of the node at `address`, created (and handed to ``run()`` to start) on first use.
    func nodeClient(for address: RedisClusterNodeAddress) throws -> NodeEntry {
        try shared.withLock { shared throws -> NodeEntry in
            if shared.isShutdown { throw RedisError.shutdown }
            if let entry = shared.nodes[address] { return entry }
            let client = RedisServerClient(
                endpoint: endpoint(for: address), configuration: configuration, eventLoopGroup: eventLoopGroup,
                logger: logger,
                onStateChange: { [weak self] state in
                    // A node that cannot be reached may have failed over: learn the new owner soon.
                    if case .backingOff = state { self?.requestTopologyRefresh() }
                })
            let (retired, retire) = AsyncStream.makeStream(of: Void.self)
            let entry = NodeEntry(address: address, client: client, retired: retired, retire: retire)
            shared.nodes[address] = entry
            nodeStartsContinuation.yield(entry)
            return entry
        }
    }

    /// Whether `entry` is no longer the client for its address: retired after leaving the slot map.
    func isRetired(_ entry: NodeEntry) -> Bool {
        shared.withLock { $0.nodes[entry.address]?.client !== entry.client }
    }

    /// Runs one node's client until it is retired or ``run()`` is cancelled.
    private func runNode(_ entry: NodeEntry) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [logger] in
                do {
                    try await entry.client.run()
                } catch {
                    logger.error(
                        "Redis Cluster node client stopped", metadata: ["node": "\(entry.address)", "error": "\(error)"])
                }
            }
            group.addTask {
                for await _ in entry.retired {}
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func shutDown() {
        let (waiters, entries) = shared.withLock { shared in
            shared.isShutdown = true
            let entries = Array(shared.nodes.values)
            shared.nodes.removeAll()
            return (shared.topologyWaiters.removeAll(), entries)
        }
        nodeStartsContinuation.finish()
        refreshRequestsContinuation.finish()
        for entry in entries { entry.retire.finish() }
        for promise in waiters { promise.fail(RedisError.shutdown) }
    }
}

/// Where a cluster node takes commands: the key of a ``RedisClusterClient``'s per-node clients.
struct RedisClusterNodeAddress: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP address, never empty (an empty host from the cluster is replaced by the asked host).
    var host: String
    /// The port for the kind of connection the client uses (TLS or plain).
    var port: Int

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
