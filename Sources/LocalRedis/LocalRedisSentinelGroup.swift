import Foundation

/// A private Redis Sentinel deployment of local processes: one master, its replicas and the sentinels that watch
/// them, for tests that need real failovers.
///
/// Every data node is a ``LocalRedisServer`` (no persistence, its own directory, a free loopback port), every
/// sentinel a ``LocalRedisSentinel`` started from Debian's `redis-sentinel` (or `redis-server --sentinel`). The
/// replicas are attached with `REPLICAOF`, the command the sentinels use themselves, so all data nodes share one
/// configuration: a data node restarted with ``LocalRedisServer/restart()`` comes back as an empty master, and the
/// sentinels turn it into a replica of the current master (`+convert-to-slave`) once it has answered for 8 s.
///
/// Start with ``start(_:)``, always end with ``stop()``; if the instance is released without it, every process is
/// killed and its directory removed as for ``LocalRedisServer``. Lifecycle calls may come from any task.
public final class LocalRedisSentinelGroup: Sendable {
    /// What the group was started with.
    public let options: LocalRedisSentinelOptions
    /// The data nodes: the master the group started with first (``initialMaster``), then its replicas. After a
    /// failover ask ``currentMaster()``.
    public let servers: [LocalRedisServer]
    /// The sentinels, in the order of ``sentinelURL``.
    public let sentinels: [LocalRedisSentinel]

    init(options: LocalRedisSentinelOptions, servers: [LocalRedisServer], sentinels: [LocalRedisSentinel]) {
        self.options = options
        self.servers = servers
        self.sentinels = sentinels
    }

    /// The name the sentinels know the master by.
    public var masterName: String { options.masterName }

    /// The master the group started with; not updated by failovers.
    public var initialMaster: LocalRedisServer { servers[0] }

    /// Every sentinel's TCP port, in the order of ``sentinels``.
    public var sentinelPorts: [Int] { sentinels.map(\.port) }

    /// `redis+sentinel://127.0.0.1:P1,127.0.0.1:P2,…/<masterName>`, without credentials: pass
    /// ``LocalRedisSentinelOptions/password`` and ``LocalRedisSentinelOptions/sentinelPassword`` separately.
    public var sentinelURL: String {
        "redis+sentinel://" + sentinels.map(\.address).joined(separator: ",") + "/" + masterName
    }

    /// The data node listening on 127.0.0.1:`port`, or nil when none of this group does.
    public func server(port: Int) -> LocalRedisServer? {
        servers.first { $0.port == port }
    }

    /// The data node every running sentinel names as master (`SENTINEL GET-MASTER-ADDR-BY-NAME`) and that itself
    /// reports `ROLE` master.
    ///
    /// Fails with ``LocalRedisSentinelError/noAgreedMaster(_:)``, saying what each sentinel answered, while the
    /// sentinels disagree or the named node does not (yet) say it is master: during a failover the leader names the
    /// new master from `+promoted-slave` on and the others from their `+switch-master`, some 50 ms later; while the
    /// old master is down and no replica promoted, they name a node that does not answer. Use
    /// ``waitUntilHealthy(timeout:)`` first when a failover may be under way. Blocks the calling thread for the
    /// probes (well under a millisecond each on loopback, up to a second for a stopped process whose port answers).
    public func currentMaster() throws(LocalRedisSentinelError) -> LocalRedisServer {
        var answers: [String] = []
        var namedPorts: Set<Int> = []
        var someoneNamedNone = false
        for sentinel in sentinels where sentinel.isRunning {
            let reply = RedisCommandProbe(port: sentinel.port, password: sentinel.password)
                .send(["SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName])
            if let address = reply?.elements, address.count == 2, let port = address[1].text.flatMap(Int.init) {
                namedPorts.insert(port)
                answers.append("\(sentinel.address) names 127.0.0.1:\(port)")
            } else {
                someoneNamedNone = true
                answers.append("\(sentinel.address) answered \(Self.describe(reply))")
            }
        }
        let said = answers.isEmpty ? "no sentinel is running" : answers.joined(separator: "; ")
        guard namedPorts.count == 1, !someoneNamedNone, let port = namedPorts.first else {
            throw .noAgreedMaster(said)
        }
        guard let master = server(port: port) else {
            throw .noAgreedMaster("127.0.0.1:\(port) is not a data node of this group: \(said)")
        }
        let role = RedisCommandProbe(port: port, password: options.password).send(["ROLE"])
        guard role?.elements?.first?.text == "master" else {
            throw .noAgreedMaster("127.0.0.1:\(port) answers ROLE with \(Self.describe(role)): \(said)")
        }
        return master
    }

    /// Kills the current master (see ``currentMaster()``) with SIGKILL and returns it, so that it can be
    /// ``LocalRedisServer/restart()``ed later.
    ///
    /// The sentinels count it as down after ``LocalRedisSentinelOptions/downAfter`` and then promote a replica;
    /// watch for that with ``waitUntilHealthy(timeout:)`` or on the sentinels' `+switch-master` channel.
    @discardableResult
    public func killMaster() async throws(LocalRedisSentinelError) -> LocalRedisServer {
        let master = try currentMaster()
        await master.kill()
        return master
    }

    /// Stops every sentinel, then every data node, and deletes every directory; safe to call repeatedly.
    ///
    /// The sentinels go first so that none of them reacts to the data nodes going away. Each process is stopped
    /// as in ``LocalRedisServer/stop()`` (SIGTERM, SIGKILL after 5 s, always reaped), those of a kind at the same
    /// time. Not cancellable, so cleanup completes even in a cancelled task.
    public func stop() async {
        await Self.stop(servers: servers, sentinels: sentinels)
    }

    /// Stops `sentinels`, then `servers`; also used to clean up after a failed start.
    static func stop(servers: [LocalRedisServer], sentinels: [LocalRedisSentinel]) async {
        await ConcurrentLifecycle.stop(sentinels) { await $0.stop() }
        await ConcurrentLifecycle.stop(servers) { await $0.stop() }
    }

    /// A probe's reply in a few words, for error messages.
    static func describe(_ reply: RedisCommandProbe.Reply?) -> String {
        switch reply {
        case nil: return "nothing (no connection or no reply)"
        case .text(let text)?: return text.debugDescription
        case .error(let message)?: return "-\(message)"
        case .array(let elements)?: return "[" + elements.map { describe($0) }.joined(separator: ", ") + "]"
        }
    }
}
