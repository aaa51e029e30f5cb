import Foundation
import IPWatcherTestSupport
import LocalRedis
import NIOCore
import RESP
import Testing

@testable import RedisClient

/// ``RedisClusterClient`` against a real local Redis Cluster: routing, pipelines, hash tags, `MOVED` and `ASK`
/// during a slot migration, and a failover.
@Suite(
    "Redis Cluster client", .serialized, .needsRedisCluster, .loadsMachine, .timeLimit(.minutes(10)))
struct RedisClusterClientTests {
    @Test("1,000 SETs then GETs by key reach every master and read back; each master holds the keys of its slots")
    func thousandKeysRoundTrip() async throws {
        try await withRedisCluster(deadline: .seconds(60)) { cluster in
            try await withClusterClient(cluster) { client in
                let clock = ContinuousClock()
                let started = clock.now
                for index in 0..<1000 {
                    let reply = try await client.send(RESPCommand("SET", "spread:\(index)", "value \(index)"), key: "spread:\(index)")
                    #expect(reply.string == "OK")
                }
                for index in 0..<1000 {
                    let reply = try await client.send(RESPCommand("GET", "spread:\(index)"), key: "spread:\(index)")
                    #expect(reply.string == "value \(index)")
                }
                print("RedisClusterClient: 1,000 SET + 1,000 GET one at a time in \(clock.now - started)")

                let topology = try #require(client.topology)
                var expected: [Int: Int] = [:]
                for index in 0..<1000 {
                    let owner = try #require(topology.node(forSlot: RedisHashSlot(key: "spread:\(index)")))
                    expected[owner.port, default: 0] += 1
                }
                #expect(expected.count == 3, "the keys should hash to all three masters: \(expected)")
                for master in cluster.masters {
                    let size = try await withConnection(master.url) { try await $0.send("DBSIZE").int }
                    #expect(size.map(Int.init) == expected[master.port], "\(master) holds \(size.map(String.init) ?? "?") keys")
                }
                #expect(client.redirectionCounts == (moved: 0, ask: 0))
            }
        }
    }

    @Test("A pipeline of 300 commands on 100 slots is answered in the caller's order, one error reply in its place")
    func pipelineOfMixedSlotsKeepsOrder() async throws {
        try await withRedisCluster { cluster in
            try await withClusterClient(cluster) { client in
                var commands: [(key: String, command: RESPCommand)] = []
                for index in 0..<100 {
                    let key = "mixed:\(index)"
                    let counter = "counter:\(index)"
                    commands.append((key, RESPCommand("SET", key, "v\(index)")))
                    commands.append((key, RESPCommand("GET", key)))
                    // Command 152 increments a string: an error reply that must not disturb the others.
                    commands.append(index == 50 ? (key, RESPCommand("INCR", key)) : (counter, RESPCommand("INCRBY", counter, index)))
                }
                let clock = ContinuousClock()
                let started = clock.now
                let replies = try await client.pipeline(commands)
                print("RedisClusterClient: pipeline of 300 commands over 3 masters in \(clock.now - started)")
                try #require(replies.count == 300)
                for index in 0..<100 {
                    #expect(replies[3 * index].string == "OK", "reply \(3 * index)")
                    #expect(replies[3 * index + 1].string == "v\(index)", "reply \(3 * index + 1)")
                    if index == 50 {
                        #expect(replies[152].serverError?.message == "ERR value is not an integer or out of range")
                    } else {
                        #expect(replies[3 * index + 2].int == Int64(index), "reply \(3 * index + 2)")
                    }
                }
                let slots = Set(commands.map { RedisHashSlot(key: $0.key) })
                let owners = Set(slots.compactMap { client.topology?.node(forSlot: $0)?.port })
                #expect(owners.count == 3, "the pipeline should span all three masters")
                #expect(try await client.pipeline([]).isEmpty)
            }
        }
    }

    @Test("{tag} keys share a slot and a node: MSET and MGET on ten of them work without CROSSSLOT")
    func hashTagKeysLandOnOneNode() async throws {
        try await withRedisCluster { cluster in
            try await withClusterClient(cluster) { client in
                let keys = (0..<10).map { "{user:42}:field:\($0)" }
                let slots = Set(keys.map { RedisHashSlot(key: $0) })
                #expect(slots == [RedisHashSlot(key: "user:42")])
                let mset = try await client.send(
                    RESPCommand("MSET", keys.flatMap { [$0, "value of \($0)"] }), key: keys[0])
                #expect(mset.string == "OK")
                let mget = try await client.send(RESPCommand("MGET", keys), key: keys[9])
                #expect(mget.array.map { $0.map(\.string) } == keys.map { "value of \($0)" })

                let owner = try #require(client.topology?.node(forSlot: RedisHashSlot(key: "user:42")))
                for master in cluster.masters {
                    let count = try await withConnection(master.url) { try await $0.send("DBSIZE").int }
                    #expect(count == (master.port == owner.port ? 10 : 0), "\(master)")
                }
                // Without a shared tag the same MSET spans slots, and the node says so.
                await #expect(throws: RedisError.self) {
                    try await client.send(RESPCommand("MSET", "untagged:a", "1", "untagged:b", "2"), key: "untagged:a")
                }
            }
        }
    }

    @Test("After a slot holding a key moves to another master, the client with the old map follows MOVED, in a pipeline too, and learns the new owner")
    func followsMovedAfterMigration() async throws {
        try await withKeyToMigrate("{moving}:a", value: "before") { cluster, client, key, slot, source, target in
            let refreshesBefore = client.refreshCount

            try await startMigration(of: slot, keys: [key], from: source, to: target, in: cluster)
            try await finishMigration(of: slot, to: target, in: cluster)
            #expect(client.topology?.node(forSlot: slot)?.port == source.port, "the client should still have the old map")

            // Per command in a pipeline: the key's commands come back MOVED, go to the new owner in order.
            let others = (0..<20).map { "other:\($0)" }
            var commands: [(key: String, command: RESPCommand)] = [(key, RESPCommand("GET", key))]
            commands += others.map { ($0, RESPCommand("SET", $0, "x")) }
            commands += [(key, RESPCommand("SET", key, "after")), (key, RESPCommand("GET", key))]
            let replies = try await client.pipeline(commands)
            #expect(replies[0].string == "before")
            #expect(replies[1...20].allSatisfy { $0.string == "OK" })
            #expect(replies[21].string == "OK")
            #expect(replies[22].string == "after")
            #expect(client.redirectionCounts.moved >= 3)

            let learnt = try await eventually(within: .seconds(5)) {
                client.topology?.node(forSlot: slot)?.port == target.port
            }
            #expect(learnt, "the client never learnt that \(target) serves slot \(slot)")
            #expect(client.refreshCount > refreshesBefore)
            let moved = client.redirectionCounts.moved
            #expect(try await client.send(RESPCommand("GET", key), key: key).string == "after")
            #expect(client.redirectionCounts.moved == moved, "with the new map no redirection is needed")
            let onTarget = try await withConnection(target.url) { try await $0.send("GET", key).string }
            #expect(onTarget == "after")
        }
    }

    @Test("While a slot migrates and its key has moved, a GET and a SET of a new key are answered via ASK, and the map stays as it was")
    func followsAskDuringMigration() async throws {
        try await withKeyToMigrate("{asking}:a", value: "migrated") { cluster, client, key, slot, source, target in
            #expect(try await client.send(RESPCommand("SET", "{asking}:c", "stays"), key: "{asking}:c").string == "OK")
            let mapBefore = client.topology

            try await startMigration(of: slot, keys: [key], from: source, to: target, in: cluster)
            #expect(try await client.send(RESPCommand("GET", key), key: key).string == "migrated")
            #expect(client.redirectionCounts == (moved: 0, ask: 1))
            // A key that exists nowhere yet is created on the importing node.
            #expect(try await client.send(RESPCommand("SET", "{asking}:b", "new"), key: "{asking}:b").string == "OK")
            let replies = try await client.pipeline([
                (key, RESPCommand("GET", key)), ("{asking}:b", RESPCommand("GET", "{asking}:b")),
            ])
            #expect(replies.map(\.string) == ["migrated", "new"])
            #expect(client.redirectionCounts == (moved: 0, ask: 4))
            #expect(client.topology == mapBefore, "ASK must not change the map")
            #expect(client.topology?.node(forSlot: slot)?.port == source.port)
            let onTarget = try await withConnection(target.url) { connection in
                try await connection.pipeline([RESPCommand("ASKING"), RESPCommand("GET", "{asking}:b")])
            }
            #expect(onTarget.last?.string == "new")

            // One key moved, one not: the source answers TRYAGAIN, retried 3 times (50 + 100 + 200 ms), then thrown.
            let clock = ContinuousClock()
            let started = clock.now
            let error = await #expect(throws: RedisError.self) {
                try await client.send(RESPCommand("MGET", key, "{asking}:c"), key: key)
            }
            #expect(error?.serverErrorCode == "TRYAGAIN", "\(String(describing: error))")
            #expect(clock.now - started >= .milliseconds(350))
        }
    }

    @Test("After the master of a key's slot is killed and its replica promoted, the client refreshes its map and reads the key from the new master")
    func survivesFailover() async throws {
        try await withRedisCluster(replicasPerMaster: 1, deadline: .seconds(90)) { cluster in
            let configuration = RedisConnectionConfiguration(connectTimeout: .seconds(1), commandTimeout: .seconds(2))
            try await withClusterClient(cluster, configuration: configuration) { client in
                let key = "failover:key"
                let slot = RedisHashSlot(key: key)
                #expect(try await client.send(RESPCommand("SET", key, "survives"), key: key).string == "OK")
                #expect(try await client.send(RESPCommand("WAIT", 1, 5000), slot: slot).int == 1)
                let ownerPort = try #require(client.topology?.node(forSlot: slot)?.port)
                let victim = try #require(cluster.masters.first { $0.port == ownerPort })
                let heir = try #require(cluster.replicas(of: victim).first)

                let clock = ContinuousClock()
                let killed = clock.now
                await cluster.kill(victim)
                try await cluster.waitUntilHealthy(timeout: .seconds(15))
                let healthy = clock.now
                var failures: [String] = []
                var value: String?
                while value == nil, clock.now - healthy < .seconds(15) {
                    do {
                        value = try await client.send(RESPCommand("GET", key), key: key).string
                    } catch {
                        failures.append("\(error)")
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
                print("RedisClusterClient: failover: cluster ok \(healthy - killed) after the kill; first successful GET \(clock.now - healthy) later, after \(failures.count) failed attempt(s) \(failures)")
                #expect(value == "survives")
                #expect(failures.count <= 1, "\(failures)")
                #expect(client.topology?.node(forSlot: slot)?.port == heir.port)
                for index in 0..<100 {
                    let key = "after-failover:\(index)"
                    #expect(try await client.send(RESPCommand("SET", key, "\(index)"), key: key).string == "OK")
                    #expect(try await client.send(RESPCommand("GET", key), key: key).string == "\(index)")
                }
            }
        }
    }
}

/// Runs `body` with a cluster client seeded with every node of `cluster`, its `run()` in a child task that is
/// cancelled when `body` returns.
private func withClusterClient<Result: Sendable>(
    _ cluster: LocalRedisCluster,
    configuration: RedisConnectionConfiguration = RedisConnectionConfiguration(),
    _ body: @escaping @Sendable (RedisClusterClient) async throws -> Result
) async throws -> Result {
    let seeds = try RedisEndpoint.clusterSeeds(
        url: "redis+cluster://" + cluster.nodes.map(\.address).joined(separator: ","))
    let client = RedisClusterClient(seeds: seeds, configuration: configuration)
    return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
        group.addTask { try await client.run() }
        defer { group.cancelAll() }
        return try await body(client)
    }
}

/// Runs `body` on a fresh cluster with a client, once `key` holds `value`; passes the key's slot, the master
/// serving it and another master to move it to.
private func withKeyToMigrate(
    _ key: String, value: String,
    _ body: @escaping @Sendable (
        LocalRedisCluster, RedisClusterClient, String, RedisHashSlot, LocalRedisClusterNode, LocalRedisClusterNode
    ) async throws -> Void
) async throws {
    try await withRedisCluster { cluster in
        try await withClusterClient(cluster) { client in
            let slot = RedisHashSlot(key: key)
            #expect(try await client.send(RESPCommand("SET", key, value), key: key).string == "OK")
            let (source, target) = try migrationPair(for: slot, in: cluster)
            try await body(cluster, client, key, slot, source, target)
        }
    }
}

/// The master serving `slot` and another master to move it to.
private func migrationPair(
    for slot: RedisHashSlot, in cluster: LocalRedisCluster
) throws -> (source: LocalRedisClusterNode, target: LocalRedisClusterNode) {
    let source = try #require(cluster.masters.first { $0.slots.contains { $0.contains(Int(slot.rawValue)) } })
    let target = try #require(cluster.masters.first { $0.port != source.port })
    return (source, target)
}

/// Marks `slot` importing on `target` and migrating on `source`, then moves `keys` with `MIGRATE … KEYS`.
private func startMigration(
    of slot: RedisHashSlot, keys: [String], from source: LocalRedisClusterNode, to target: LocalRedisClusterNode,
    in cluster: LocalRedisCluster
) async throws {
    let slotText = String(slot.rawValue)
    try expectOK(await cluster.redisCLI(on: target, ["CLUSTER", "SETSLOT", slotText, "IMPORTING", source.id]))
    try expectOK(await cluster.redisCLI(on: source, ["CLUSTER", "SETSLOT", slotText, "MIGRATING", target.id]))
    try expectOK(
        await cluster.redisCLI(
            on: source, ["MIGRATE", target.host, String(target.port), "", "0", "5000", "KEYS"] + keys))
}

/// Assigns `slot` to `target` on every master, the target first, as `redis-cli --cluster reshard` does.
private func finishMigration(
    of slot: RedisHashSlot, to target: LocalRedisClusterNode, in cluster: LocalRedisCluster
) async throws {
    let ordered = [target] + cluster.masters.filter { $0.port != target.port }
    for master in ordered {
        try expectOK(
            await cluster.redisCLI(on: master, ["CLUSTER", "SETSLOT", String(slot.rawValue), "NODE", target.id]))
    }
}

/// Requires redis-cli's output to be `OK` (it exits with 0 on an error reply).
private func expectOK(_ output: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    try #require(
        output.trimmingCharacters(in: .whitespacesAndNewlines) == "OK", "redis-cli said: \(output)",
        sourceLocation: sourceLocation)
}
