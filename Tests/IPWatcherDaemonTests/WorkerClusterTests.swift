import Detection
import Foundation
import IPWatcherDaemon
import IPWatcherTestSupport
import LocalRedis
import RESP
import RedisClient
import SystemdNotify
import Testing
import Traffic

/// Workers against a real local Redis Cluster with a sharded queue: exact totals with several workers, and the
/// workers carrying on through a slot migration (MOVED) and a failover.
@Suite(
    "Workers: Redis Cluster and a sharded queue", .needsRedisServer, .needsRedisCluster, .timeLimit(.minutes(10)),
    .loadsMachine)
struct WorkerClusterTests {
    static let shards = 6

    @Test("three workers drain a 6-shard queue on a 3-master cluster: exact counts, every bot blocked, one event per block")
    func threeWorkersDrainShardedQueue() async throws {
        try await withWorkerCluster { cluster, client in
            let workers = clusterWorkers(3, cluster: cluster)
            let subscriber = try await ChannelSubscriber(port: cluster.masters[0].port, channel: "ipwatcher:events")
            let entries = Self.traffic(addresses: 600, hitsEach: 20, seed: 11)
            try await running(workers) {
                try await pushSharded(entries, client: client)
                try await waitUntil("the workers count every entry", within: .seconds(60), every: .milliseconds(50)) {
                    workers.counted >= entries.count
                }
                let shares = workers.map { $0.statistics.snapshot.counted }
                print("cluster: entries counted per worker \(shares)")
                #expect(shares.reduce(0, +) == entries.count, "\(shares)")
                #expect(shares.allSatisfy { $0 > 0 }, "a worker got no share: \(shares)")

                let counts = try await countsPerUnit(client)
                #expect(counts.count == 600)
                #expect(counts.values.allSatisfy { $0 == 20 }, "an address counted other than 20 times")
                #expect(try await client.send(RESPCommand("SCARD", "blocklist"), key: "blocklist").int == 600)
                let bans = try await client.send(
                    RESPCommand("ZCARD", "ipwatcher:bans:{blocklist}"), key: "ipwatcher:bans:{blocklist}")
                #expect(bans.int == 600, "the ban set lives beside the blocklist, in its slot")
                var blocks = 0
                while let message = try await subscriber.nextMessage(within: .seconds(2)) {
                    if try PublishedEvent(json: message).event == "block" { blocks += 1 }
                }
                #expect(blocks == 600, "block events published")

                try await waitUntil("every batch is released from the processing hashes", within: .seconds(10)) {
                    try await clusterKeys("ipwatcher:processing:*", client).isEmpty
                }
                let queued = try await client.pipeline(
                    QueueShards(baseKey: "ips", count: Self.shards).keys.map { ($0, RESPCommand("LLEN", $0)) })
                #expect(queued.allSatisfy { $0.int == 0 })
            }
        }
    }

    @Test("after the slot of a queue shard moves to another master, the workers follow MOVED and count the next wave exactly")
    func workersFollowSlotMigration() async throws {
        try await withWorkerCluster { cluster, client in
            let workers = clusterWorkers(2, cluster: cluster)
            let first = Self.traffic(addresses: 200, hitsEach: 5, seed: 3)
            let second = Self.traffic(addresses: 200, hitsEach: 5, seed: 4)
            try await running(workers) {
                try await pushSharded(first, client: client)
                try await waitUntil("the first wave is counted", within: .seconds(30), every: .milliseconds(50)) {
                    workers.counted >= first.count
                }
                // Move shard 0's slot, with its processing hashes and landing lists, to another master.
                let slot = RedisHashSlot(key: "ips:{0}")
                let source = try #require(cluster.masters.first { $0.slots.contains { $0.contains(Int(slot.rawValue)) } })
                let target = try #require(cluster.masters.first { $0.port != source.port })
                try await moveSlot(slot, from: source, to: target, in: cluster)

                try await pushSharded(second, client: client)
                try await waitUntil("the second wave is counted", within: .seconds(30), every: .milliseconds(50)) {
                    workers.counted >= first.count + second.count
                }
                #expect(workers.counted == first.count + second.count)
                let counts = try await countsPerUnit(client)
                #expect(counts.values.reduce(0, +) == first.count + second.count)
                let onTarget = try await cluster.redisCLI(on: target, ["CLUSTER", "COUNTKEYSINSLOT", String(slot.rawValue)])
                #expect(onTarget.trimmingCharacters(in: .whitespacesAndNewlines) != "", "redis-cli said nothing")
            }
        }
    }

    @Test("while a queue shard's slot migrates with its keys split (TRYAGAIN) the workers keep counting the other shards, and count every entry exactly once it has moved")
    func workersCarryOnThroughMigration() async throws {
        try await withWorkerCluster { cluster, client in
            let workers = clusterWorkers(2, cluster: cluster)
            let first = Self.traffic(addresses: 200, hitsEach: 5, seed: 8)
            let second = Self.traffic(addresses: 200, hitsEach: 5, seed: 9)
            try await running(workers) {
                try await pushSharded(first, client: client)
                try await waitUntil("the first wave is counted", within: .seconds(30), every: .milliseconds(50)) {
                    workers.counted >= first.count
                }
                let slot = RedisHashSlot(key: "ips:{0}")
                let slotText = String(slot.rawValue)
                let source = try #require(cluster.masters.first { $0.slots.contains { $0.contains(Int(slot.rawValue)) } })
                let target = try #require(cluster.masters.first { $0.port != source.port })
                // Each worker's processing hash for shard 0 stays on the source with a field the running worker
                // never reads, while new entries for shard 0 land on the target: the shard's keys are split, and
                // every move on it is refused (TRYAGAIN) until the slot has moved. Other shards must not wait.
                for id in ["cluster-1", "cluster-2"] {
                    let key = "ipwatcher:processing:\(id):{0}"
                    _ = try await client.send(RESPCommand("HSET", key, "not-this-run", "x"), key: key)
                }
                _ = try await cluster.redisCLI(on: target, ["CLUSTER", "SETSLOT", slotText, "IMPORTING", source.id])
                _ = try await cluster.redisCLI(on: source, ["CLUSTER", "SETSLOT", slotText, "MIGRATING", target.id])

                try await pushSharded(second, client: client)
                let shardZero = second.filter {
                    QueueShards(baseKey: "ips", count: Self.shards).shard(forEntry: $0) == 0
                }.count
                try await waitUntil("the other shards' entries are counted mid-migration", within: .seconds(30)) {
                    workers.counted
                        >= first.count + second.count - shardZero
                }
                // By now every worker has met the refused shard; a third wave for the other shards must still flow.
                try await Task.sleep(for: .milliseconds(500))
                let third = Self.traffic(addresses: 200, hitsEach: 5, seed: 10).filter {
                    QueueShards(baseKey: "ips", count: Self.shards).shard(forEntry: $0) != 0
                }
                try await pushSharded(third, client: client)
                try await waitUntil("a third wave for the other shards is counted mid-migration", within: .seconds(30)) {
                    workers.counted
                        >= first.count + second.count - shardZero + third.count
                }
                try await moveSlot(slot, from: source, to: target, in: cluster)
                let total = first.count + second.count + third.count
                try await waitUntil("shard 0's entries are counted after the migration", within: .seconds(30)) {
                    workers.counted >= total
                }
                let counts = try await countsPerUnit(client)
                #expect(counts.values.reduce(0, +) == total)
            }
        }
    }

    @Test("a master is killed and its replica promoted: the workers carry on and count every entry pushed after")
    func workersCarryOnThroughFailover() async throws {
        try await withWorkerCluster(replicasPerMaster: 1) { cluster, client in
            let workers = clusterWorkers(2, cluster: cluster)
            let before = Self.traffic(addresses: 200, hitsEach: 5, seed: 5)
            let after = Self.traffic(addresses: 200, hitsEach: 5, seed: 6)
            try await running(workers) {
                try await pushSharded(before, client: client)
                try await waitUntil("the first wave is counted", within: .seconds(30), every: .milliseconds(50)) {
                    workers.counted >= before.count
                }
                // Replication is asynchronous: give the replicas a moment to have everything, then kill the master
                // of shard 0's slot.
                try await Task.sleep(for: .milliseconds(300))
                let slot = Int(RedisHashSlot(key: "ips:{0}").rawValue)
                let victim = try #require(cluster.masters.first { $0.slots.contains { $0.contains(slot) } })
                await cluster.kill(victim)
                let killedAt = ContinuousClock.now
                try await pushSharded(after, client: client, retryingFor: .seconds(30))
                let total = before.count + after.count
                try await waitUntil("the second wave is counted", within: .seconds(40), every: .milliseconds(50)) {
                    workers.counted >= total
                }
                print("cluster failover: all entries counted \(ContinuousClock.now - killedAt) after the kill")
                let counts = try await countsPerUnit(client)
                let expected = Dictionary(Self.units(of: before + after).map { ($0, 1) }, uniquingKeysWith: +)
                for (unit, hits) in expected {
                    // At least once: a batch whose writes failed during the failover may be written twice.
                    let counted = counts[unit] ?? 0
                    #expect(counted >= hits && counted <= 2 * hits, "\(unit): \(counted) for \(hits) hits")
                }
            }
        }
    }

    @Test("a blocklist key holding a list on a cluster holds the batches: no entry counted twice through the retries, the bot blocked once it is fixed")
    func poisonedBlocklistOnClusterCountsOnce() async throws {
        try await withWorkerCluster { cluster, client in
            let workers = clusterWorkers(1, cluster: cluster)
            _ = try await client.send(RESPCommand("LPUSH", "blocklist", "poison"), key: "blocklist")
            let users = (1...50).map { "198.51.100.\($0)" }
            let bot = "203.0.113.9"
            let entries = users + Array(repeating: bot, count: 20)
            try await running(workers) {
                try await pushSharded(entries, client: client)
                try await waitUntil("Redis refuses the blocklist write three times", within: .seconds(20)) {
                    workers[0].statistics.snapshot.refusals[.blocklist, default: 0] >= 3
                }
                #expect(workers[0].statistics.snapshot.refusing?.key == "blocklist")
                // The worker is stuck on the first batch it took; the other shards' entries wait in the queue.
                let held = try await countsPerUnit(client)
                #expect(held.values.allSatisfy { $0 <= 20 }, "\(held)")
                #expect(users.allSatisfy { held[$0, default: 0] <= 1 }, "a user counted more than once: \(held)")

                _ = try await client.send(RESPCommand("DEL", "blocklist"), key: "blocklist")
                try await waitUntil("the worker counts every entry", within: .seconds(20)) {
                    workers.counted >= entries.count
                }
                let counts = try await countsPerUnit(client)
                #expect(counts[bot] == 20, "\(counts)")
                #expect(users.allSatisfy { counts[$0] == 1 }, "a user counted other than once: \(counts)")
                let members = try await client.send(RESPCommand("SMEMBERS", "blocklist"), key: "blocklist")
                #expect(members.array?.compactMap(\.string) == [bot])
                #expect(workers[0].statistics.snapshot.refusing == nil)
            }
        }
    }

    @Test("range bans on a cluster: the ranges set, its expiry index and each range's units share the blocklist's slot")
    func rangeBansOnACluster() async throws {
        try await withWorkerCluster { cluster, client in
            let workers = clusterWorkers(1, cluster: cluster) { settings in
                settings.ranges = RangeBanPolicy(minUnits: 3)
                settings.rangesKey = "{blocklist}:ranges"
            }
            // Three addresses of 10.21.0.0/24, over the threshold of 5 each.
            let entries = Self.traffic(addresses: 3, hitsEach: 6, seed: 21)
            try await running(workers) {
                try await pushSharded(entries, client: client)
                try await waitUntil("the range is banned", within: .seconds(30)) {
                    try await client.send(
                        RESPCommand("SISMEMBER", "{blocklist}:ranges", "10.21.0.0/24"), key: "{blocklist}:ranges"
                    ).int == 1
                }
                let expiry = try await client.send(
                    RESPCommand("ZSCORE", "ipwatcher:bans:ranges:{blocklist}", "10.21.0.0/24"),
                    key: "ipwatcher:bans:ranges:{blocklist}")
                #expect(expiry.double != nil, "the range's expiry lives beside the blocklist")
                let units = try await client.send(
                    RESPCommand("ZCARD", "ipwatcher:range:{blocklist}:10.21.0.0/24"),
                    key: "ipwatcher:range:{blocklist}:10.21.0.0/24")
                #expect(units.int == 3)
                #expect(workers[0].statistics.snapshot.rangesBlocked == 1)
                #expect(workers[0].statistics.snapshot.refusing == nil)
            }
        }
    }

    @Test("fixed windows in bucket hashes on a cluster: the hashes spread over the masters, the counts add up across them, the bots are blocked")
    func bucketCountersOnACluster() async throws {
        try await withWorkerCluster { cluster, client in
            let buckets = 16
            let workers = clusterWorkers(2, cluster: cluster) { settings in
                settings.detection.counters = .buckets(count: buckets)
            }
            // Stamped, so that one hour-long window holds every entry whenever the workers pop it.
            let time = nowMilliseconds()
            let index = FixedWindow(lengthSeconds: 3600).index(of: time)
            // 60 bots over the threshold of 5 and 150 users under it.
            let bots = Self.traffic(addresses: 60, hitsEach: 6, seed: 31)
            let users = Self.traffic(addresses: 150, hitsEach: 2, seed: 32)
            let entries = (bots + users).map { "\($0) \(time)" }
            let expected = Dictionary((bots + users).map { ($0, 1) }, uniquingKeysWith: +)
            let botUnits = Set(bots)
            try await running(workers) {
                try await pushSharded(entries, client: client)
                try await waitUntil("the workers count every entry", within: .seconds(60), every: .milliseconds(50)) {
                    workers.counted >= entries.count
                }
                #expect(workers.counted == entries.count)

                // Each master holds the hashes of the buckets its slots own, and more than one master holds some.
                let perMaster = try await client.sendToEveryMaster(RESPCommand("KEYS", "ipwatcher:buckets:*"))
                    .map { $0.array?.compactMap(\.string) ?? [] }
                #expect(perMaster.filter { !$0.isEmpty }.count > 1, "every hash on one master: \(perMaster)")
                let keys = perMaster.flatMap { $0 }
                #expect(keys.count <= buckets && Set(keys).count == keys.count, "\(keys.sorted())")
                let prefix = KeySchema().bucketKeyPrefix(windowSeconds: 3600, windowIndex: index)
                #expect(keys.allSatisfy { $0.hasPrefix(prefix) }, "\(keys.sorted())")

                let contents = try await client.pipeline(keys.map { ($0, RESPCommand("HGETALL", $0)) })
                var counts: [String: Int] = [:]
                var misplaced: [String] = []
                for (key, reply) in zip(keys, contents) {
                    var fields: [(String, Int)] = []
                    if let map = reply.map {
                        fields = map.map { ($0.key.string ?? "", Int($0.value.string ?? "") ?? -1) }
                    } else if let array = reply.array.map(Array.init) {
                        fields = stride(from: 0, to: array.count - 1, by: 2).map {
                            (array[$0].string ?? "", Int(array[$0 + 1].string ?? "") ?? -1)
                        }
                    }
                    for (unit, count) in fields {
                        counts[unit, default: 0] += count
                        let home = KeySchema().bucketKey(
                            windowSeconds: 3600, windowIndex: index, bucket: CounterLayout.bucket(ofName: unit, count: buckets))
                        if home != key { misplaced.append("\(unit) in \(key)") }
                    }
                }
                #expect(misplaced.isEmpty, "\(misplaced)")
                #expect(counts == expected, "the counts across the hashes on every master")
                #expect(counts.values.reduce(0, +) == entries.count)
                let expiries = try await client.pipeline(keys.map { ($0, RESPCommand("PEXPIRETIME", $0)) })
                #expect(
                    expiries.allSatisfy { $0.int == FixedWindow(lengthSeconds: 3600).counterExpiry(of: index) },
                    "\(expiries.map(\.int))")
                #expect(try await clusterKeys("ipwatcher:fixed:*", client).isEmpty, "no key per unit")

                let members = try await client.send(RESPCommand("SMEMBERS", "blocklist"), key: "blocklist")
                #expect(Set(members.array?.compactMap(\.string) ?? []) == botUnits)
                #expect(workers.map { $0.statistics.snapshot.blocked }.reduce(0, +) == botUnits.count)
                #expect(workers.allSatisfy { $0.statistics.snapshot.refusing == nil })
            }
        }
    }

    // MARK: - Helpers

    /// `hitsEach` entries for each of `addresses` addresses, shuffled.
    static func traffic(addresses: Int, hitsEach: Int, seed: UInt64) -> [String] {
        var entries: [String] = []
        for index in 0..<addresses {
            entries += Array(repeating: "10.\(seed).\(index / 250).\(index % 250)", count: hitsEach)
        }
        var generator = SplitMix64(seed: seed)
        entries.shuffle(using: &generator)
        return entries
    }

    /// The unit (an IPv4 address is its own /32 unit) of each entry.
    static func units(of entries: [String]) -> [String] { entries }

    /// In-process workers on the cluster, each with its own worker id; `configure` changes their settings.
    func clusterWorkers(
        _ count: Int, cluster: LocalRedisCluster, configure: (inout WorkerSettings) -> Void = { _ in }
    ) -> [IPWatcherWorker] {
        let seeds = cluster.masters.map { RedisEndpoint.Address.tcp(host: $0.host, port: $0.port) }
            .map { RedisEndpoint(address: $0) }
        return (1...count).map { index in
            var settings = WorkerSettings.forTests
            settings.workerID = "cluster-\(index)"
            settings.batchSize = 500
            settings.queueShards = Self.shards
            settings.detection.singleRule.windowSeconds = 3600
            settings.detection.singleRule.threshold = 5
            configure(&settings)
            return IPWatcherWorker(
                endpoint: seeds[0], clusterSeeds: seeds, settings: settings,
                redisConfiguration: RedisConnectionConfiguration(
                    connectTimeout: .seconds(1), commandTimeout: .seconds(2), clientName: "ipwatcher-\(index)",
                    backoff: RedisBackoff(maximum: .milliseconds(200))),
                logger: workerTestLogger, notifier: SystemdNotifier(enabled: false),
                workerTag: "cluster-\(index)-run", shutdownSignals: [])
        }
    }
}

extension [IPWatcherWorker] {
    /// Entries the workers have counted, together.
    var counted: Int { map { $0.statistics.snapshot.counted }.reduce(0, +) }
}

/// Runs `workers` while `body` runs, then cancels them and waits for them to end.
private func running(_ workers: [IPWatcherWorker], _ body: () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in workers { group.addTask { try await worker.run() } }
        defer { group.cancelAll() }
        try await body()
        group.cancelAll()
        try? await group.waitForAll()
    }
}

/// Starts a 3-master local cluster and a cluster client for the test, runs `body`, and stops both.
private func withWorkerCluster(
    replicasPerMaster: Int = 0,
    _ body: @escaping @Sendable (LocalRedisCluster, RedisClusterClient) async throws -> Void
) async throws {
    try await withRedisCluster(replicasPerMaster: replicasPerMaster, deadline: .seconds(150)) { cluster in
        let seeds = try RedisEndpoint.clusterSeeds(
            url: "redis+cluster://" + cluster.nodes.map(\.address).joined(separator: ","))
        let client = RedisClusterClient(
            seeds: seeds, configuration: RedisConnectionConfiguration(commandTimeout: .seconds(2)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            try await body(cluster, client)
        }
    }
}

/// Pushes each entry to the shard `QueueShards` picks for it, as producers do, 500 per `LPUSH`; with
/// `retryingFor`, a push that fails (its master is down) is tried again until that time has passed.
private func pushSharded(
    _ entries: [String], client: RedisClusterClient, retryingFor patience: Duration = .zero
) async throws {
    let shards = QueueShards(baseKey: "ips", count: WorkerClusterTests.shards)
    let byShard = Dictionary(grouping: entries, by: { shards.key(forEntry: $0) })
    for (key, shardEntries) in byShard.sorted(by: { $0.key < $1.key }) {
        for start in stride(from: 0, to: shardEntries.count, by: 500) {
            let chunk = Array(shardEntries[start..<min(start + 500, shardEntries.count)])
            let deadline = ContinuousClock.now + patience
            while true {
                do {
                    _ = try await client.send(RESPCommand("LPUSH", key, chunk), key: key)
                    break
                } catch {
                    guard ContinuousClock.now < deadline else { throw error }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        }
    }
}

/// The keys matching `pattern` on every master.
private func clusterKeys(_ pattern: String, _ client: RedisClusterClient) async throws -> [String] {
    try await client.sendToEveryMaster(RESPCommand("KEYS", pattern)).flatMap { $0.array?.compactMap(\.string) ?? [] }
}

/// Each unit's count summed over its fixed-window counters, wherever in the cluster they live.
private func countsPerUnit(_ client: RedisClusterClient) async throws -> [String: Int] {
    let keys = try await clusterKeys("ipwatcher:fixed:*", client)
    let values = try await client.pipeline(keys.map { ($0, RESPCommand("GET", $0)) })
    var counts: [String: Int] = [:]
    for (key, value) in zip(keys, values) {
        counts[String(key.split(separator: ":").last ?? ""), default: 0] += Int(value.string ?? "0") ?? 0
    }
    return counts
}

/// Moves `slot` and every key in it from `source` to `target`, the way `redis-cli --cluster reshard` does.
private func moveSlot(
    _ slot: RedisHashSlot, from source: LocalRedisClusterNode, to target: LocalRedisClusterNode,
    in cluster: LocalRedisCluster
) async throws {
    let slotText = String(slot.rawValue)
    _ = try await cluster.redisCLI(on: target, ["CLUSTER", "SETSLOT", slotText, "IMPORTING", source.id])
    _ = try await cluster.redisCLI(on: source, ["CLUSTER", "SETSLOT", slotText, "MIGRATING", target.id])
    let keys = try await cluster.redisCLI(on: source, ["CLUSTER", "GETKEYSINSLOT", slotText, "1000"])
        .split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
    if !keys.isEmpty {
        let migrated = try await cluster.redisCLI(
            on: source, ["MIGRATE", target.host, String(target.port), "", "0", "5000", "KEYS"] + keys)
        #expect(migrated.contains("OK"), "MIGRATE said: \(migrated)")
    }
    for master in [target] + cluster.masters.filter({ $0.port != target.port }) {
        _ = try await cluster.redisCLI(on: master, ["CLUSTER", "SETSLOT", slotText, "NODE", target.id])
    }
}
