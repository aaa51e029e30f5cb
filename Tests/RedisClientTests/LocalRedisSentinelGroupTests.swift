import Foundation
import IPWatcherTestSupport
import LocalRedis
import RESP
import RedisClient
import Testing

/// The local Sentinel group fixture itself: that real sentinels watch a real master and replicas, fail over, accept
/// passwords, and that nothing is left behind.
///
/// Six to nine processes and their failovers load a 2-core machine, hence `.loadsMachine`; the tests run one after
/// the other so that the printed startup and failover times are not inflated by each other.
@Suite(
    "Local Redis Sentinel group fixture", .serialized, .needsRedisSentinel, .loadsMachine, .timeLimit(.minutes(10)))
struct LocalRedisSentinelGroupTests {
    @Test("A group of 1 master, 2 replicas and 3 sentinels starts; every sentinel names the master, counts 2 replicas and 2 other sentinels, and the URL lists them")
    func groupStartsAndSentinelsAgree() async throws {
        let clock = ContinuousClock()
        let starting = clock.now
        try await withRedisSentinel { group in
            print("LocalRedisSentinelGroup: 1 master, 2 replicas, 3 sentinels started and healthy in \(clock.now - starting)")
            #expect(group.servers.count == 3)
            #expect(group.sentinels.count == 3)
            #expect(Set(group.sentinelPorts).count == 3)
            let addresses = group.sentinelPorts.map { "127.0.0.1:\($0)" }.joined(separator: ",")
            #expect(group.sentinelURL == "redis+sentinel://\(addresses)/ipwatcher")
            #expect(try group.currentMaster() === group.initialMaster)
            let masterPort = try #require(group.initialMaster.port)

            for sentinel in group.sentinels {
                let master = try await sentinelFields(sentinel, ["SENTINEL", "MASTER", group.masterName], in: group)
                #expect(master["name"] == "ipwatcher", "\(sentinel.address): \(master)")
                #expect(master["ip"] == "127.0.0.1" && master["port"] == String(masterPort), "\(sentinel.address): \(master)")
                #expect(master["flags"] == "master", "\(sentinel.address): \(master)")
                #expect(master["num-slaves"] == "2", "\(sentinel.address): \(master)")
                #expect(master["num-other-sentinels"] == "2", "\(sentinel.address): \(master)")
                #expect(master["quorum"] == "2", "\(sentinel.address): \(master)")
                #expect(master["down-after-milliseconds"] == "2000", "\(sentinel.address): \(master)")
                #expect(master["failover-timeout"] == "5000", "\(sentinel.address): \(master)")
                let named = try await masterAddress(named: group.masterName, by: sentinel, in: group)
                #expect(named == masterPort, "\(sentinel.address) names 127.0.0.1:\(named.map(String.init) ?? "nothing")")
            }
            for replica in group.servers.dropFirst() {
                let info = try await replicationInfo(of: replica, in: group)
                #expect(infoField("role", in: info) == "slave", "\(replica.url): \(info)")
                #expect(infoField("master_port", in: info) == String(masterPort), "\(replica.url): \(info)")
                #expect(infoField("master_link_status", in: info) == "up", "\(replica.url): \(info)")
            }
        }
    }

    @Test("A write on the master is read on both replicas")
    func writeOnMasterIsReadOnReplicas() async throws {
        try await withRedisSentinel { group in
            try await checkWritesReachReplicas(of: group.initialMaster, in: group, key: "ipwatcher:sentinel-fixture:write")
        }
    }

    @Test("Killing the master gets a replica promoted (+switch-master); the new master takes writes, the other replica follows it, and the restarted old master becomes its replica")
    func killingTheMasterPromotesAReplica() async throws {
        try await withRedisSentinel { group in
            try await withSentinelEvents(group) { events in
                let promotion = try await failOver(group, events: events)
                let oldMaster = group.initialMaster

                // Restarted without data and without replicaof, it comes back as a master; the sentinels wait for
                // it to have answered for a while before they make it a replica of the new master.
                let clock = ContinuousClock()
                let restarted = clock.now
                try await oldMaster.restart()
                let roleAfterRestart = try await replicationInfo(of: oldMaster, in: group)
                #expect(infoField("role", in: roleAfterRestart) == "master", "the old master came back as: \(roleAfterRestart)")
                try await group.waitUntilHealthy(timeout: .seconds(60))
                let converted = clock.now - restarted
                let conversion = events.events(on: "+convert-to-slave").first
                print("LocalRedisSentinelGroup: old master \(oldMaster.url) restarted as master, made a replica of \(promotion.newMaster.url) after \(converted) (first +convert-to-slave after \(conversion.map { SentinelEventWatcher.milliseconds($0.receivedAt - restarted) }.map(String.init) ?? "?") ms)")
                #expect(conversion != nil, "no sentinel announced +convert-to-slave:\n\(events.timeline(since: restarted))")
                let info = try await replicationInfo(of: oldMaster, in: group)
                #expect(infoField("role", in: info) == "slave", "\(oldMaster.url): \(info)")
                #expect(infoField("master_port", in: info) == promotion.newMaster.port.map(String.init), "\(oldMaster.url): \(info)")
                #expect(try group.currentMaster() === promotion.newMaster)
                try await checkWritesReachReplicas(
                    of: promotion.newMaster, in: group, key: "ipwatcher:sentinel-fixture:after-rejoin")
            }
        }
    }

    @Test("With passwords on the data nodes and on the sentinels, the group starts, serves and fails over, and both refuse clients without the password")
    func passwordsProtectDataNodesAndSentinels() async throws {
        let options = LocalRedisSentinelOptions(password: "data-secret", sentinelPassword: "sentinel-secret")
        try await withRedisSentinel(options) { group in
            let sentinel = try #require(group.sentinels.first)
            let master = group.initialMaster
            // HELLO 3 without AUTH is refused outright; in RESP2 (no HELLO) the connection opens but commands are refused.
            let helloCode = await serverErrorCode {
                try await withConnection(sentinel.url) { _ in }
            }
            #expect(helloCode == "NOAUTH", "an unauthenticated HELLO to a sentinel got \(helloCode ?? "no error")")
            let resp2 = RedisConnectionConfiguration(protocolPreference: .resp2)
            let commandCode = await serverErrorCode {
                try await withConnection(sentinel.url, configuration: resp2) {
                    _ = try await $0.send("SENTINEL", "GET-MASTER-ADDR-BY-NAME", group.masterName)
                }
            }
            #expect(commandCode == "NOAUTH", "an unauthenticated SENTINEL command got \(commandCode ?? "no error")")
            let wrongCode = await serverErrorCode {
                try await withConnection("redis://:data-secret@127.0.0.1:\(sentinel.port)") { _ in }
            }
            #expect(wrongCode == "WRONGPASS", "the data nodes' password given to a sentinel got \(wrongCode ?? "no error")")
            let dataCode = await serverErrorCode {
                try await withConnection(master.url, configuration: resp2) { _ = try await $0.send("GET", "x") }
            }
            #expect(dataCode == "NOAUTH", "an unauthenticated GET on the master got \(dataCode ?? "no error")")
            #expect(try await masterAddress(named: group.masterName, by: sentinel, in: group) == master.port)

            try await checkWritesReachReplicas(of: master, in: group, key: "ipwatcher:sentinel-fixture:password")
            // The vote needs the sentinels to log in to each other (sentinel-pass), the promotion to the data nodes
            // (auth-pass), and the remaining replica's move to the new master its masterauth.
            try await withSentinelEvents(group) { events in
                _ = try await failOver(group, events: events)
            }
        }
    }

    @Test("A killed sentinel is left out of the health check, and restarts from its rewritten sentinel.conf into the group")
    func killedSentinelRestartsFromItsOwnConfig() async throws {
        try await withRedisSentinel { group in
            let sentinel = try #require(group.sentinels.last)
            let configuration = try String(contentsOfFile: sentinel.configurationPath, encoding: .utf8)
            #expect(configuration.contains("sentinel myid "), "the sentinel did not rewrite its config:\n\(configuration)")
            #expect(configuration.contains("sentinel known-replica "), "the sentinel did not record the replicas:\n\(configuration)")
            await sentinel.kill()
            #expect(!sentinel.isRunning)
            try await group.waitUntilHealthy(timeout: .seconds(10))
            try await sentinel.restart()
            #expect(sentinel.isRunning)
            try await group.waitUntilHealthy(timeout: .seconds(30))
            let master = try await sentinelFields(sentinel, ["SENTINEL", "MASTER", group.masterName], in: group)
            #expect(master["port"] == group.initialMaster.port.map(String.init), "\(master)")
            #expect(master["num-other-sentinels"] == "2", "\(master)")
        }
    }

    @Test("stop() ends every data node and sentinel, frees their ports and removes their directories; a second stop is harmless")
    func stopLeavesNothingBehind() async throws {
        let group = try await TestLoadGate.shared.load { try await LocalRedisSentinelGroup.start() }
        let processes: [(name: String, pid: Int32, port: Int, directory: String)] =
            group.servers.map { ($0.url, $0.pid, $0.port ?? 0, $0.directory) }
            + group.sentinels.map { ($0.url, $0.pid, $0.port, $0.directory) }
        #expect(processes.count == 6)
        for process in processes {
            #expect(ProcessTable.exists(process.pid), "\(process.name) is not running before stop()")
            #expect(loopbackPortAcceptsConnections(process.port), "\(process.name) does not accept connections before stop()")
        }

        await group.stop()
        for server in group.servers {
            #expect(!server.isRunning, "\(server.url) still runs")
        }
        for sentinel in group.sentinels {
            #expect(!sentinel.isRunning, "\(sentinel.url) still runs")
        }
        for process in processes {
            #expect(!ProcessTable.exists(process.pid), "pid \(process.pid) of \(process.name) still exists")
            #expect(ProcessTable.pids(mentioning: process.directory).isEmpty, "a process still mentions \(process.directory)")
            #expect(!FileManager.default.fileExists(atPath: process.directory), "\(process.directory) was not removed")
            #expect(!loopbackPortAcceptsConnections(process.port), "\(process.name) still accepts connections")
        }
        await group.stop()
    }

    @Test(
        "A start cancelled once its sentinels run stops every process it started and removes the directories",
        .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/cmdline"), "finds the sentinels through /proc"))
    func cancelledStartLeavesNothingBehind() async throws {
        // Only this suite starts sentinels, one test at a time, so every sentinel process is this start's.
        let marker = "ipwatcher-redis-sentinel-"
        let outcome = try await withThrowingTaskGroup(of: String.self) { tasks in
            tasks.addTask {
                do {
                    let group = try await LocalRedisSentinelGroup.start()
                    await group.stop()
                    return "started despite the cancellation"
                } catch {
                    return "\(error)"
                }
            }
            var directories: [String] = []
            let running = try await eventually(within: .seconds(10)) {
                directories = ProcessTable.pids(mentioning: marker).compactMap(sentinelDirectory(ofProcess:))
                return directories.count == 3
            }
            // The master's port, from a sentinel's config, to check that the data nodes are gone as well.
            let configuration = directories.first.flatMap { try? String(contentsOfFile: $0 + "/sentinel.conf", encoding: .utf8) }
            let masterPort = configuration?.split(separator: "\n").first { $0.hasPrefix("sentinel monitor ") }
                .flatMap { Int($0.split(separator: " ")[4]) }
            tasks.cancelAll()
            let message = try await tasks.next() ?? ""
            return (running, directories, masterPort, message)
        }
        let (running, directories, masterPort, message) = outcome
        #expect(running, "the three sentinels never showed up in the process list")
        #expect(message.contains("cancelled"), "the error should say the start was cancelled: \(message)")
        #expect(ProcessTable.pids(mentioning: marker).isEmpty, "a sentinel of the cancelled start still runs")
        for directory in directories {
            #expect(!FileManager.default.fileExists(atPath: directory), "\(directory) was left behind")
        }
        let port = try #require(masterPort, "no master port in the sentinels' config")
        #expect(!loopbackPortAcceptsConnections(port), "the master 127.0.0.1:\(port) still accepts connections")
    }

    @Test("Options that cannot describe a group are refused before anything starts")
    func impossibleOptionsAreRefused() async throws {
        let refused: [(LocalRedisSentinelOptions, String)] = [
            (LocalRedisSentinelOptions(sentinels: 3, quorum: 4), "quorum"),
            (LocalRedisSentinelOptions(sentinels: 0), "sentinels"),
            (LocalRedisSentinelOptions(replicas: -1), "replicas"),
            (LocalRedisSentinelOptions(masterName: "my master"), "masterName"),
            (LocalRedisSentinelOptions(downAfter: .zero), "downAfter"),
            (LocalRedisSentinelOptions(password: "two words"), "password"),
            (LocalRedisSentinelOptions(sentinelPassword: "quo\"te"), "sentinelPassword"),
        ]
        for (options, subject) in refused {
            let error = await #expect(throws: LocalRedisSentinelError.self) {
                try await LocalRedisSentinelGroup.start(options)
            }
            guard case .invalidArgument(let message)? = error else {
                Issue.record("\(options): expected invalidArgument, got \(String(describing: error))")
                continue
            }
            #expect(message.hasPrefix(subject), "\(message)")
        }
    }
}

/// Kills the current master while `events` watches, waits for `+switch-master`, prints the time from the kill to
/// it with the sentinels' events, and checks that the promoted replica takes writes, that every sentinel names it
/// and that the other running replica replicates from it.
private func failOver(_ group: LocalRedisSentinelGroup, events: SentinelEventWatcher) async throws -> SentinelSwitch {
    let clock = ContinuousClock()
    let oldMaster = try group.currentMaster()
    let oldPort = try #require(oldMaster.port)
    let killedAt = clock.now
    let killed = try await group.killMaster()
    #expect(killed === oldMaster)
    #expect(!oldMaster.isRunning)
    let promotion = try await events.waitForSwitch(from: oldPort, timeout: .seconds(60))
    let toSwitch = promotion.switchedAt - killedAt
    // Failover is paced by down-after (2 s), the sentinels' once-a-second pings, asks and INFO, and a random
    // delay of up to 1 s before an election: about 3.3 s here. The bound only catches a failover that never ends;
    // a split vote alone retries after 2 × failover-timeout (10 s).
    #expect(toSwitch < .seconds(60))
    #expect(promotion.newPort != oldPort)
    #expect(group.servers.dropFirst().contains { $0 === promotion.newMaster }, "the new master is not a replica of the group")

    try await group.waitUntilHealthy(timeout: .seconds(30))
    // Exactly one failover: none of the healthy new master (see LocalRedisSentinelOptions.downAfter).
    let switches = events.events(on: "+switch-master")
    #expect(
        switches.allSatisfy { $0.words.count == 5 && $0.words[2] == String(oldPort) },
        "more than one failover:\n\(events.timeline(since: killedAt))")
    let promotedAt = try #require(promotion.promotedAt, "no +promoted-slave for 127.0.0.1:\(promotion.newPort)")
    print("""
        LocalRedisSentinelGroup: master 127.0.0.1:\(oldPort) killed; 127.0.0.1:\(promotion.newPort) promoted after \
        \(SentinelEventWatcher.milliseconds(promotedAt - killedAt)) ms, first +switch-master (from sentinel \
        127.0.0.1:\(promotion.announcedBy)) after \(SentinelEventWatcher.milliseconds(toSwitch)) ms (down-after \
        \(SentinelEventWatcher.milliseconds(group.options.downAfter)) ms); group healthy again after \
        \(SentinelEventWatcher.milliseconds(clock.now - killedAt)) ms. Events:
        \(events.timeline(since: killedAt))
        """)
    #expect(try group.currentMaster() === promotion.newMaster)
    for sentinel in group.sentinels {
        let named = try await masterAddress(named: group.masterName, by: sentinel, in: group)
        #expect(named == promotion.newPort, "\(sentinel.address) names 127.0.0.1:\(named.map(String.init) ?? "nothing")")
    }
    try await checkWritesReachReplicas(of: promotion.newMaster, in: group, key: "ipwatcher:sentinel-fixture:after-\(oldPort)")
    return promotion
}

/// Writes `key` on `master`, waits until every running replica acknowledged it (`WAIT`), and reads it on each.
private func checkWritesReachReplicas(
    of master: LocalRedisServer,
    in group: LocalRedisSentinelGroup,
    key: String
) async throws {
    let replicas = group.servers.filter { $0 !== master && $0.isRunning }
    let value = "written on \(master.url)"
    try await withConnection(dataURL(master, in: group)) { connection in
        let set = try await connection.send("SET", key, value)
        #expect(set.string == "OK", "SET on \(master.url) answered \(set)")
        let acknowledged = try await connection.send("WAIT", replicas.count, 5000)
        #expect(acknowledged.int == Int64(replicas.count), "\(acknowledged) of \(replicas.count) replicas acknowledged the write")
    }
    for replica in replicas {
        let info = try await replicationInfo(of: replica, in: group)
        #expect(infoField("master_port", in: info) == master.port.map(String.init), "\(replica.url) replicates another master: \(info)")
        let read = try await withConnection(dataURL(replica, in: group)) { try await $0.send("GET", key).string }
        #expect(read == value, "\(replica.url) has \(read ?? "nothing") for \(key)")
    }
}

/// `redis://[:password@]127.0.0.1:PORT` of a data node, with the group's data password.
private func dataURL(_ server: LocalRedisServer, in group: LocalRedisSentinelGroup) -> String {
    let credentials = group.options.password.map { ":\($0)@" } ?? ""
    return "redis://\(credentials)127.0.0.1:\(server.port ?? 0)"
}

/// `redis://[:password@]127.0.0.1:PORT` of a sentinel, with the group's sentinel password.
private func sentinelURL(_ sentinel: LocalRedisSentinel, in group: LocalRedisSentinelGroup) -> String {
    let credentials = group.options.sentinelPassword.map { ":\($0)@" } ?? ""
    return "redis://\(credentials)127.0.0.1:\(sentinel.port)"
}

/// `INFO replication` of a data node.
private func replicationInfo(of server: LocalRedisServer, in group: LocalRedisSentinelGroup) async throws -> String {
    try await withConnection(dataURL(server, in: group)) { try await $0.send("INFO", "replication").string ?? "" }
}

/// A sentinel's reply to `command` (`SENTINEL MASTER name`: a map in RESP3) as names and values.
private func sentinelFields(
    _ sentinel: LocalRedisSentinel,
    _ command: [String],
    in group: LocalRedisSentinelGroup
) async throws -> [String: String] {
    let reply = try await withConnection(sentinelURL(sentinel, in: group)) {
        try await $0.send(RESPCommand(command[0], Array(command.dropFirst())))
    }
    var fields: [String: String] = [:]
    for (key, value) in try #require(reply.map, "\(command) answered \(reply), not a map") {
        fields[key.string ?? "?"] = value.string ?? value.int.map(String.init) ?? "?"
    }
    return fields
}

/// The master's port as `sentinel` names it (`SENTINEL GET-MASTER-ADDR-BY-NAME`), nil for no answer.
private func masterAddress(
    named name: String,
    by sentinel: LocalRedisSentinel,
    in group: LocalRedisSentinelGroup
) async throws -> Int? {
    let reply = try await withConnection(sentinelURL(sentinel, in: group)) {
        try await $0.send("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)
    }
    let address = reply.array.map { $0.compactMap(\.string) } ?? []
    guard address.count == 2, address[0] == "127.0.0.1" else { return nil }
    return Int(address[1])
}

/// The directory of the `sentinel.conf` a LocalRedis sentinel was started with (its first argument), from /proc.
private func sentinelDirectory(ofProcess pid: Int32) -> String? {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
    let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    guard arguments.count > 1, arguments[1].hasSuffix("/sentinel.conf") else { return nil }
    return (arguments[1] as NSString).deletingLastPathComponent
}

/// The code of the server error `body` throws (`NOAUTH`, `WRONGPASS`, …), the description of any other error, or
/// nil when it throws none.
private func serverErrorCode(_ body: () async throws -> Void) async -> String? {
    do {
        try await body()
        return nil
    } catch RedisError.server(let error) {
        return error.code
    } catch {
        return "\(error)"
    }
}
