import Detection
import IPWatcherTestSupport
import IPWatcherWeb
import LocalRedis
import RESP
import RedisClient
import Testing

/// The web tier behind Redis Sentinel: when the master is killed, the mirror keeps answering from its copy,
/// then reloads from the promoted replica and follows its events; the recorder resumes pushing there.
@Suite("Web tier: Redis Sentinel failover", .needsRedisSentinel, .loadsMachine, .timeLimit(.minutes(10)))
struct WebTierSentinelTests {
    @Test("the master killed: the mirror answers throughout, then follows the promoted replica; the recorder pushes there")
    func mirrorAndRecorderFollowTheFailover() async throws {
        try await withRedisSentinel(deadline: .seconds(120)) { group in
            try await withSentinelEvents(group) { events in
                let endpoint = try RedisEndpoint(url: group.sentinelURL)
                var mirrorSettings = BlocklistMirror.Settings()
                mirrorSettings.connection = RedisConnectionConfiguration(
                    connectTimeout: .milliseconds(500), commandTimeout: .seconds(1))
                let mirror = BlocklistMirror(endpoint: endpoint, settings: mirrorSettings)
                let router = RedisRouter(
                    endpoint: endpoint, clusterSeeds: nil,
                    configuration: RedisConnectionConfiguration(connectTimeout: .milliseconds(500), commandTimeout: .seconds(1)),
                    logger: .init(label: "test"))
                let recorder = AddressRecorder(router: router)
                let old = try #require(IPAddress("203.0.113.7"))
                let new = try #require(IPAddress("203.0.113.8"))
                let oldMaster = try group.currentMaster()
                let oldPort = try #require(oldMaster.port)
                try await withConnection(oldMaster.url) { redis in
                    _ = try await redis.send("SADD", "blocklist", "203.0.113.7")
                    // The kill must not take the blocked unit with it: wait until both replicas have it.
                    _ = try await redis.send("WAIT", 2, 5_000)
                }
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { await mirror.run() }
                    tasks.addTask { try await router.run() }
                    tasks.addTask { await recorder.run() }
                    defer { tasks.cancelAll() }
                    try await waitUntil("the mirror has loaded") { !mirror.isStale && mirror.isBlocked(old) }

                    let clock = ContinuousClock()
                    await oldMaster.kill()
                    let killedAt = clock.now
                    for _ in 0..<100 { recorder.record(new) }
                    try await waitUntil("the mirror says it is stale", within: .seconds(10)) { mirror.isStale }
                    #expect(mirror.isBlocked(old), "the mirror forgot a blocked unit while Redis was away")
                    let switched = try await events.waitForSwitch(from: oldPort, timeout: .seconds(30))
                    try await waitUntil("the mirror is fresh again", within: .seconds(15)) { !mirror.isStale }
                    let freshAfter = max(clock.now - switched.switchedAt, .zero)

                    try await withConnection(switched.newMaster.url) { redis in
                        // A block announced on the new master reaches the mirror.
                        _ = try await redis.send("SADD", "blocklist", "203.0.113.8")
                        _ = try await redis.send(
                            "PUBLISH", "ipwatcher:events", #"{"event":"block","unit":"203.0.113.8","manual":true}"#)
                        try await waitUntil("the new master's block reaches the mirror", within: .seconds(5)) {
                            mirror.isBlocked(new)
                        }
                        try await waitUntil("the recorder pushed its 100 entries to the new master", within: .seconds(15)) {
                            recorder.statistics.pushed >= 100
                        }
                        let queued = Int(try await redis.send("LLEN", "ips").int ?? -1)
                        #expect(queued >= 100, "the new master holds \(queued) of the 100 recorded entries")
                        #expect(recorder.statistics.dropped == 0)
                    }
                    #expect(freshAfter <= .seconds(5), "the mirror was fresh \(freshAfter) after +switch-master")
                    print(
                        "sentinel failover (web tier): kill → +switch-master \(switched.switchedAt - killedAt); mirror "
                            + "fresh \(freshAfter) after it; recorder pushed \(recorder.statistics.pushed), dropped 0")
                }
            }
        }
    }
}
