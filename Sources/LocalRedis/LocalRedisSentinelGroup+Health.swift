extension LocalRedisSentinelGroup {
    private static let healthPollInterval: Duration = .milliseconds(50)

    /// Waits until the running processes agree on one master and every sentinel sees the whole group, or fails
    /// after `timeout`.
    ///
    /// Killed processes are left out. Exactly one running data node must report `role:master`, and every other
    /// running one must replicate from it with `master_link_status:up`. Every running sentinel must, in
    /// `SENTINEL MASTER`, name that node with the flags `master` only (not `s_down`, `o_down`,
    /// `failover_in_progress`, …), count every other data node as a replica (`num-slaves`, a killed one included) and
    /// every other sentinel (`num-other-sentinels`); in `SENTINEL REPLICAS` list each running replica as a `slave`
    /// that is not `s_down`, `o_down` or `disconnected`; and in `SENTINEL SENTINELS` list each other running sentinel
    /// likewise, with `last-ping-sent` 0. That last field stays non-zero from the moment a sentinel meets another
    /// until that one answers a PING with PONG, which it does only to the right `sentinel-pass`: so the sentinels can
    /// really talk to each other, which a failover's vote needs.
    ///
    /// After ``killMaster()`` this returns about a second after the first `+switch-master`, once the last replica
    /// is attached to the new master; after a restart of the old master, once the sentinels have made it a replica,
    /// about 10 s after it came back (Sentinel waits until it has answered for 8 s). Polls every 50 ms. Fails with
    /// ``LocalRedisSentinelError/notHealthy(_:)`` naming the last unmet condition and showing a sentinel's
    /// `SENTINEL MASTER` and the end of its log, also when the task is cancelled.
    public func waitUntilHealthy(timeout: Duration = .seconds(30)) async throws(LocalRedisSentinelError) {
        try await Self.waitUntilHealthy(
            servers: servers, sentinels: sentinels, options: options, timeout: timeout, context: nil)
    }

    /// The polling loop behind ``waitUntilHealthy(timeout:)``; `context` is appended to the error.
    static func waitUntilHealthy(
        servers: [LocalRedisServer],
        sentinels: [LocalRedisSentinel],
        options: LocalRedisSentinelOptions,
        timeout: Duration,
        context: String?
    ) async throws(LocalRedisSentinelError) {
        let failure = await HealthPolling.failure(
            timeout: timeout,
            interval: healthPollInterval,
            problem: { healthProblem(servers: servers, sentinels: sentinels, options: options) },
            view: { sentinelView(sentinels: sentinels, masterName: options.masterName) },
            context: context
        )
        if let failure {
            throw .notHealthy(failure)
        }
    }

    /// The first unmet condition of ``waitUntilHealthy(timeout:)``, or nil when the group is healthy.
    static func healthProblem(
        servers: [LocalRedisServer],
        sentinels: [LocalRedisSentinel],
        options: LocalRedisSentinelOptions
    ) -> String? {
        let master: Int
        let replicas: [Int]
        switch replication(of: servers, password: options.password) {
        case .problem(let problem): return problem
        case .attached(let port, let ports): (master, replicas) = (port, ports)
        }
        let runningSentinels = sentinels.filter(\.isRunning)
        guard !runningSentinels.isEmpty else { return "no sentinel is running" }
        for sentinel in runningSentinels {
            let expected = SentinelExpectation(
                masterPort: master,
                replicaCount: servers.count - 1,
                runningReplicas: replicas,
                otherSentinelCount: sentinels.count - 1,
                runningOtherSentinels: runningSentinels.map(\.port).filter { $0 != sentinel.port }
            )
            if let problem = sentinelProblem(sentinel, masterName: options.masterName, expected: expected) {
                return problem
            }
        }
        return nil
    }

    /// What the running data nodes say of their replication.
    enum Replication {
        /// Exactly one reports `role:master`, at this port, and these replicate from it with their link up.
        case attached(master: Int, replicas: [Int])
        /// Why not (yet).
        case problem(String)
    }

    /// The running data nodes' own view of their replication, from `INFO replication`.
    static func replication(of servers: [LocalRedisServer], password: String?) -> Replication {
        let running = servers.filter(\.isRunning).compactMap(\.port)
        guard !running.isEmpty else { return .problem("no data node is running") }
        var masters: [Int] = []
        var replicas: [(port: Int, info: String)] = []
        for port in running {
            guard case .text(let info)? = RedisCommandProbe(port: port, password: password).send(["INFO", "replication"])
            else {
                return .problem("data node 127.0.0.1:\(port) does not answer INFO replication")
            }
            switch RedisCommandProbe.infoField("role", in: info) {
            case "master": masters.append(port)
            case "slave": replicas.append((port, info))
            case let role: return .problem("data node 127.0.0.1:\(port) reports role:\(role ?? "?")")
            }
        }
        guard masters.count == 1, let master = masters.first else {
            return .problem(
                masters.isEmpty
                    ? "no running data node reports role:master"
                    : "\(masters.count) running data nodes report role:master: "
                        + masters.map { "127.0.0.1:\($0)" }.joined(separator: ", "))
        }
        for replica in replicas {
            let masterPort = RedisCommandProbe.infoField("master_port", in: replica.info) ?? "?"
            guard masterPort == String(master) else {
                return .problem(
                    "replica 127.0.0.1:\(replica.port) replicates from 127.0.0.1:\(masterPort), not from the master 127.0.0.1:\(master)")
            }
            let link = RedisCommandProbe.infoField("master_link_status", in: replica.info) ?? "?"
            guard link == "up" else {
                return .problem("replica 127.0.0.1:\(replica.port) reports master_link_status:\(link)")
            }
        }
        return .attached(master: master, replicas: replicas.map(\.port))
    }

    /// What one sentinel must see, from the data nodes' own answers.
    private struct SentinelExpectation {
        var masterPort: Int
        var replicaCount: Int
        var runningReplicas: [Int]
        var otherSentinelCount: Int
        var runningOtherSentinels: [Int]
    }

    /// Why `sentinel` does not yet see the group as the data nodes describe it, or nil.
    private static func sentinelProblem(
        _ sentinel: LocalRedisSentinel,
        masterName: String,
        expected: SentinelExpectation
    ) -> String? {
        let name = "sentinel \(sentinel.address)"
        let probe = RedisCommandProbe(port: sentinel.port, password: sentinel.password)
        let masterReply = probe.send(["SENTINEL", "MASTER", masterName])
        guard let master = masterReply?.fields else {
            return "\(name) answers SENTINEL MASTER \(masterName) with \(describe(masterReply))"
        }
        guard master["port"] == String(expected.masterPort) else {
            return "\(name) names 127.0.0.1:\(master["port"] ?? "?") as master, not 127.0.0.1:\(expected.masterPort)"
        }
        guard master["flags"] == "master" else {
            return "\(name) flags master 127.0.0.1:\(expected.masterPort) \(master["flags"] ?? "?")"
        }
        guard master["num-slaves"] == String(expected.replicaCount) else {
            return "\(name) knows \(master["num-slaves"] ?? "?") replicas, expected \(expected.replicaCount)"
        }
        guard master["num-other-sentinels"] == String(expected.otherSentinelCount) else {
            return "\(name) knows \(master["num-other-sentinels"] ?? "?") other sentinels, expected \(expected.otherSentinelCount)"
        }

        let replicasReply = probe.send(["SENTINEL", "REPLICAS", masterName])
        guard let replicas = replicasReply?.elements?.compactMap(\.fields) else {
            return "\(name) answers SENTINEL REPLICAS \(masterName) with \(describe(replicasReply))"
        }
        for port in expected.runningReplicas {
            guard let replica = replicas.first(where: { $0["port"] == String(port) }) else {
                return "\(name) does not list replica 127.0.0.1:\(port)"
            }
            // Only the flags: Sentinel reads a replica's INFO (its master-link-status) once every 10 s outside a
            // failover, so that would hold this wait up to 10 s after the replica, checked above, is attached.
            guard isUp(replica["flags"], as: "slave") else {
                return "\(name) flags replica 127.0.0.1:\(port) \(replica["flags"] ?? "?")"
            }
        }

        let sentinelsReply = probe.send(["SENTINEL", "SENTINELS", masterName])
        guard let others = sentinelsReply?.elements?.compactMap(\.fields) else {
            return "\(name) answers SENTINEL SENTINELS \(masterName) with \(describe(sentinelsReply))"
        }
        for port in expected.runningOtherSentinels {
            guard let other = others.first(where: { $0["port"] == String(port) }) else {
                return "\(name) does not know sentinel 127.0.0.1:\(port)"
            }
            // A sentinel keeps `master_down` (its last vote on the old master) for 5 s after a failover; harmless.
            guard isUp(other["flags"], as: "sentinel") else {
                return "\(name) flags sentinel 127.0.0.1:\(port) \(other["flags"] ?? "?")"
            }
            guard other["last-ping-sent"] == "0" else {
                return "\(name) has had no PONG from sentinel 127.0.0.1:\(port) for a PING sent \(other["last-ping-sent"] ?? "?") ms ago (a wrong sentinel-pass?)"
            }
        }
        return nil
    }

    /// Whether a sentinel's flags for an instance (`slave,s_down,disconnected`) say it is a `kind` that is up: not
    /// `s_down`, `o_down` or `disconnected`.
    private static func isUp(_ flags: String?, as kind: String) -> Bool {
        let flags = Set((flags ?? "").split(separator: ",").map(String.init))
        return flags.contains(kind) && flags.isDisjoint(with: ["s_down", "o_down", "disconnected"])
    }

    /// The first running sentinel's `SENTINEL MASTER` and the end of its log, for error messages.
    private static func sentinelView(sentinels: [LocalRedisSentinel], masterName: String) -> String? {
        guard let sentinel = sentinels.first(where: \.isRunning) else { return nil }
        let reply = RedisCommandProbe(port: sentinel.port, password: sentinel.password)
            .send(["SENTINEL", "MASTER", masterName])
        var view = "SENTINEL MASTER \(masterName) as seen by \(sentinel.address): "
        if let elements = reply?.elements, elements.count.isMultiple(of: 2) {
            view += stride(from: 0, to: elements.count, by: 2).map { index in
                "\(elements[index].text ?? "?")=\(elements[index + 1].text ?? "?")"
            }.joined(separator: " ")
        } else {
            view += describe(reply)
        }
        return view + "\n" + RedisLogFile(path: sentinel.logPath).tail(since: 0, maxLines: 15)
    }
}
