import Foundation
import IPWatcherTestSupport
import LocalRedis
import NIOCore
import RESP
import RedisClient
import Testing

/// The local Redis Cluster fixture itself: that it forms a real cluster, fails over, and cleans up.
///
/// Several redis-servers plus redis-cli on a 2-core machine load it, hence `.loadsMachine`; the tests run one
/// after the other so the measured startup and failover times are not inflated by each other.
@Suite(
    "Local Redis Cluster fixture", .serialized, .needsRedisCluster, .loadsMachine, .timeLimit(.minutes(10)))
struct LocalRedisClusterTests {
    @Test("A 3-master cluster starts, every node is ok, slots 0-16383 are served by 3 masters, a key routed by its slot reads back, and stop() leaves nothing")
    func threeMasterClusterServesAllSlotsAndCleansUp() async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let cluster = try await LocalRedisCluster.start(masters: 3)
        let startup = clock.now - started
        print("LocalRedisCluster: 3 masters started and healthy in \(startup)")
        do {
            try await withTestDeadline(.seconds(20)) { try await checkServesAllSlotsAndRoutesAKey(cluster) }
        } catch {
            await cluster.stop()
            throw error
        }

        let pids = cluster.nodes.map(\.server.pid)
        await cluster.stop()
        for (node, pid) in zip(cluster.nodes, pids) {
            #expect(!node.server.isRunning, "\(node) still runs")
            #expect(!ProcessTable.exists(pid), "redis-server pid \(pid) of \(node) still exists")
            #expect(ProcessTable.pids(mentioning: node.server.directory).isEmpty, "a process still mentions \(node.server.directory)")
            #expect(!FileManager.default.fileExists(atPath: node.server.directory), "\(node.server.directory) was not removed")
            #expect(!loopbackPortAcceptsConnections(node.port), "\(node.address) still accepts connections")
        }
        // A second stop is harmless.
        await cluster.stop()
    }

    @Test("In a 3+3 cluster, killing a master gets its replica promoted and cluster_state:ok again within 10 s; the old master rejoins as a replica")
    func killingAMasterPromotesItsReplica() async throws {
        let clock = ContinuousClock()
        let starting = clock.now
        try await withRedisCluster(masters: 3, replicasPerMaster: 1, nodeTimeout: .milliseconds(1000)) { cluster in
            print("LocalRedisCluster: 3 masters + 3 replicas started and healthy in \(clock.now - starting)")
            #expect(cluster.nodes.count == 6)
            #expect(cluster.masters.count == 3)
            #expect(cluster.replicas.count == 3)
            for master in cluster.masters {
                #expect(cluster.replicas(of: master).count == 1, "\(master) should have exactly one replica")
            }
            let victim = try #require(cluster.masters.first)
            let heir = try #require(cluster.replicas(of: victim).first)

            // A key in one of the victim's slots, replicated before the crash, must survive the failover.
            let key = try await keyServed(by: victim, in: cluster)
            try await withConnection(victim.url) { connection in
                let set = try await connection.send("SET", key, "survives")
                #expect(set.string == "OK")
                let acknowledged = try await connection.send("WAIT", 1, 5000)
                #expect(acknowledged.int == 1, "the replica did not acknowledge the write")
            }

            let killed = clock.now
            await cluster.kill(victim)
            // Failover is paced by the node timeout (1 s) and the replica's election delay: about 2 s here. The
            // bound, 30 node timeouts, only catches a replica that is never promoted; this suite loads the machine,
            // so a tighter wall-clock bound would fail for reasons that have nothing to do with failover.
            try await cluster.waitUntilHealthy(timeout: .seconds(30))
            let failover = clock.now - killed
            print("LocalRedisCluster: master \(victim.address) killed, replica \(heir.address) promoted and cluster ok in \(failover) (node timeout 1000 ms)")
            #expect(failover < .seconds(30))

            #expect(cluster.currentRole(of: heir) == .master)
            for node in cluster.nodes where node.index != victim.index {
                let state = try await withConnection(node.url) { connection in
                    infoField("cluster_state", in: try await connection.send("CLUSTER", "INFO").string ?? "")
                }
                #expect(state == "ok", "\(node) reports cluster_state:\(state ?? "nil") after the failover")
            }
            try await withConnection(heir.url) { connection in
                let value = try await connection.send("GET", key)
                #expect(value.string == "survives")
            }

            let restarted = clock.now
            try await cluster.restart(victim)
            try await cluster.waitUntilHealthy(timeout: .seconds(10))
            print("LocalRedisCluster: old master \(victim.address) restarted and rejoined as a replica in \(clock.now - restarted)")
            #expect(cluster.currentRole(of: victim) == .replica)
            #expect(cluster.currentRole(of: heir) == .master)
        }
    }

    @Test("A start that fails after the nodes are up (2 masters, which redis-cli refuses) explains why and leaves no process or directory")
    func failedStartLeavesNothingBehind() async throws {
        let error = try await #require(throws: LocalRedisClusterError.self) {
            try await LocalRedisCluster.start(masters: 2)
        }
        guard case .redisCLIFailed(let command, _, let output) = error else {
            Issue.record("expected redisCLIFailed, got \(error)")
            return
        }
        #expect(output.contains("at least 3 master"), "redis-cli's explanation is missing: \(output)")
        #expect(error.description.contains("at least 3 master"))
        let ports = command.split(separator: " ").compactMap { word -> Int? in
            word.hasPrefix("127.0.0.1:") ? Int(word.dropFirst("127.0.0.1:".count)) : nil
        }
        #expect(ports.count == 2, "the error should name both nodes: \(command)")
        for port in ports {
            #expect(!loopbackPortAcceptsConnections(port), "127.0.0.1:\(port) still accepts connections")
            #expect(!loopbackPortAcceptsConnections(port + 10_000), "bus port \(port + 10_000) still accepts connections")
            #expect(temporaryDirectories(configuredFor: port).isEmpty, "a directory for port \(port) was left behind")
        }
    }

    @Test(
        "A start cancelled while redis-cli forms the cluster stops every node it started and removes their directories",
        .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/cmdline"), "finds the nodes through /proc"))
    func cancelledStartLeavesNothingBehind() async throws {
        // An odd node timeout marks this test's nodes in the process list (`--cluster-node-timeout 1234`).
        let marker = "--cluster-node-timeout 1234 "
        let outcome = try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask {
                do {
                    let cluster = try await LocalRedisCluster.start(masters: 3, nodeTimeout: .milliseconds(1234))
                    await cluster.stop()
                    return "started despite the cancellation"
                } catch {
                    return "\(error)"
                }
            }
            // Wait until all three nodes run, note their directories, then cancel while redis-cli is busy.
            var directories: [String] = []
            let running = try await eventually(within: .seconds(10)) {
                directories = ProcessTable.pids(mentioning: marker).compactMap { configDirectory(ofProcess: $0) }
                return directories.count == 3
            }
            try await Task.sleep(for: .milliseconds(300))
            group.cancelAll()
            let message = try await group.next() ?? ""
            return (running, directories, message)
        }
        let (running, directories, message) = outcome
        #expect(running, "the three nodes never showed up in the process list")
        #expect(message.contains("cancel"), "the error should say the start was cancelled: \(message)")
        #expect(ProcessTable.pids(mentioning: marker).isEmpty, "a node of the cancelled start still runs")
        for directory in directories {
            #expect(!FileManager.default.fileExists(atPath: directory), "\(directory) was left behind")
        }
    }

    @Test("redisCLI runs arbitrary redis-cli commands against the cluster and reports failures with the output")
    func redisCLIHelperRunsCommands() async throws {
        try await withRedisCluster(masters: 3) { cluster in
            let check = try await cluster.redisCLI(["--cluster", "check", cluster.nodes[0].address])
            #expect(check.contains("All 16384 slots covered"), "\(check)")
            let slot = try await cluster.redisCLI(on: cluster.nodes[1], ["CLUSTER", "KEYSLOT", "foo"])
            #expect(slot.trimmingCharacters(in: .whitespacesAndNewlines) == "12182")
            let error = await #expect(throws: LocalRedisClusterError.self) {
                try await cluster.redisCLI(["--cluster", "check", "127.0.0.1:1"], timeout: .seconds(10))
            }
            if case .redisCLIFailed(_, let reason, let output)? = error {
                #expect(reason.contains("exited with status"))
                #expect(output.contains("127.0.0.1:1"), "\(output)")
            } else {
                Issue.record("expected redisCLIFailed, got \(String(describing: error))")
            }
        }
    }
}

/// Checks `CLUSTER INFO` on every node and `CLUSTER SLOTS`, then writes a key through the wrong master, follows
/// the `MOVED` reply by hand to the owner from the slot map, and reads it back there.
private func checkServesAllSlotsAndRoutesAKey(_ cluster: LocalRedisCluster) async throws {
    #expect(cluster.nodes.count == 3)
    #expect(cluster.masters.count == 3)
    #expect(cluster.seedURLs == cluster.nodes.map(\.url))
    #expect(cluster.seedURL == cluster.nodes[0].url)
    for node in cluster.nodes {
        let info = try await withConnection(node.url) { try await $0.send("CLUSTER", "INFO").string ?? "" }
        #expect(infoField("cluster_state", in: info) == "ok", "\(node): \(info)")
        #expect(infoField("cluster_slots_assigned", in: info) == "16384", "\(node): \(info)")
        #expect(infoField("cluster_known_nodes", in: info) == "3", "\(node): \(info)")
    }

    let owners = try await slotOwners(cluster.seedURL)
    #expect(owners.count == LocalRedisCluster.slotCount)
    #expect(!owners.contains(0), "some slot has no owner in CLUSTER SLOTS")
    #expect(Set(owners) == Set(cluster.masters.map(\.port)))
    for master in cluster.masters {
        let listed = master.slots.reduce(0) { $0 + $1.count }
        #expect(owners.filter { $0 == master.port }.count == listed, "\(master) slots disagree with CLUSTER SLOTS")
    }

    let key = "ipwatcher:cluster-fixture:routing"
    let slot = try await withConnection(cluster.seedURL) { try await $0.send("CLUSTER", "KEYSLOT", key).int }
    let owner = owners[Int(try #require(slot))]
    let stranger = try #require(cluster.nodes.first { $0.port != owner })
    let redirect = try await withConnection(stranger.url) { connection -> String? in
        do {
            _ = try await connection.send("SET", key, "routed")
            return nil
        } catch let RedisError.server(error) {
            return error.message
        }
    }
    #expect(redirect == "MOVED \(try #require(slot)) 127.0.0.1:\(owner)")
    let target = try #require(redirect?.split(separator: " ").last.map(String.init))
    try await withConnection("redis://\(target)") { connection in
        let set = try await connection.send("SET", key, "routed")
        #expect(set.string == "OK")
        let value = try await connection.send("GET", key)
        #expect(value.string == "routed")
    }
}

/// The owning master's port for each slot, from `CLUSTER SLOTS`; 0 for a slot nobody serves or served twice.
private func slotOwners(_ url: String) async throws -> [Int] {
    let reply = try await withConnection(url) { try await $0.send("CLUSTER", "SLOTS") }
    var owners = [Int](repeating: 0, count: LocalRedisCluster.slotCount)
    var seen = [Int](repeating: 0, count: LocalRedisCluster.slotCount)
    for range in try #require(reply.elements) {
        let fields = try #require(range.elements)
        let first = Int(try #require(fields[0].int))
        let last = Int(try #require(fields[1].int))
        let master = try #require(fields[2].elements)
        let port = Int(try #require(master[1].int))
        for slot in first...last {
            seen[slot] += 1
            owners[slot] = seen[slot] == 1 ? port : 0
        }
    }
    return owners
}

/// A key whose slot `master` serves, found by asking the cluster for the slots of candidate keys.
private func keyServed(by master: LocalRedisClusterNode, in cluster: LocalRedisCluster) async throws -> String {
    try await withConnection(master.url) { connection in
        for attempt in 0..<1000 {
            let key = "ipwatcher:cluster-fixture:failover:\(attempt)"
            let slot = Int(try await connection.send("CLUSTER", "KEYSLOT", key).int ?? -1)
            if master.slots.contains(where: { $0.contains(slot) }) { return key }
        }
        throw KeyNotFound(master: master.description)
    }
}

private struct KeyNotFound: Error, CustomStringConvertible {
    let master: String
    var description: String { "no candidate key hashes to a slot of \(master)" }
}

/// The directory of the config file a LocalRedis redis-server was started with (its first argument), from /proc.
private func configDirectory(ofProcess pid: Int32) -> String? {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
    let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    guard arguments.count > 1, arguments[1].hasSuffix("/redis.conf") else { return nil }
    return (arguments[1] as NSString).deletingLastPathComponent
}

/// Directories under the temporary directory whose `redis.conf` configures `port`: a server's leftovers.
private func temporaryDirectories(configuredFor port: Int) -> [String] {
    let base = FileManager.default.temporaryDirectory.path
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
    return entries.filter { $0.hasPrefix("ipwatcher-redis-") }.compactMap { entry -> String? in
        let directory = (base as NSString).appendingPathComponent(entry)
        guard let data = FileManager.default.contents(atPath: directory + "/redis.conf") else { return nil }
        let configuration = String(decoding: data, as: UTF8.self)
        return configuration.contains("\nport \(port)\n") ? directory : nil
    }
}
