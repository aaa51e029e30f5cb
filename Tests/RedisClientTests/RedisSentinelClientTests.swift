import Foundation
import IPWatcherTestSupport
import LocalRedis
import RESP
import RedisClient
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The client behind real sentinels: it finds the master, logs in to sentinels and master with their own
/// passwords, and follows a failover it would not otherwise notice.
@Suite("Redis client: Sentinel", .serialized, .needsRedisSentinel, .loadsMachine, .timeLimit(.minutes(10)))
struct RedisSentinelClientTests {
    @Test("with both passwords the client reaches the master; a wrong sentinel password is refused as refused credentials")
    func passwords() async throws {
        let options = LocalRedisSentinelOptions(password: "data-pass", sentinelPassword: "watch-pass")
        try await withRedisSentinel(options) { group in
            let base = group.sentinelURL.replacingOccurrences(of: "redis+sentinel://", with: "redis+sentinel://:data-pass@")
            let endpoint = try RedisEndpoint(url: base + "?sentinel_password=watch-pass")
            let master = try group.currentMaster()
            try await RedisServerClient.withClient(endpoint: endpoint) { client in
                _ = try await client.send("SET", "sentinel:key", "found")
                let role = try await client.send("ROLE")
                #expect(role.array.map { Array($0) }?.first?.string == "master")
            }
            try await withConnection(master.url.replacingOccurrences(of: "redis://", with: "redis://:data-pass@")) { redis in
                let value = try await redis.send("GET", "sentinel:key").string
                #expect(value == "found")
            }
            do {
                let wrong = try RedisEndpoint(url: base + "?sentinel_password=nope")
                let connection = try await RedisConnection.connect(to: wrong)
                await connection.closeNow()
                Issue.record("a wrong sentinel password was accepted")
            } catch {
                let code = (error as? RedisError)?.serverErrorCode
                #expect(code.map(RedisConnectionConfiguration.authenticationErrorCodes.contains) == true, "\(error)")
            }
        }
    }

    @Test("the master stopped (SIGSTOP): at +switch-master the client drops its idle connection to it and the next command runs on the promoted replica, long before its 30 s command timeout")
    func followsASwitchItWouldNotNotice() async throws {
        try await withRedisSentinel(deadline: .seconds(120)) { group in
            try await withSentinelEvents(group) { events in
                let endpoint = try RedisEndpoint(url: group.sentinelURL)
                let configuration = RedisConnectionConfiguration(connectTimeout: .seconds(2), commandTimeout: .seconds(30))
                try await RedisServerClient.withClient(endpoint: endpoint, configuration: configuration) { client in
                    _ = try await client.send("SET", "sentinel:key", "before")
                    let oldMaster = try group.currentMaster()
                    let oldPort = try #require(oldMaster.port)
                    let connectionsBefore = client.connectionCount
                    #expect(kill(oldMaster.pid, SIGSTOP) == 0)
                    defer { kill(oldMaster.pid, SIGCONT) }
                    let switched = try await events.waitForSwitch(from: oldPort, timeout: .seconds(30))
                    let clock = ContinuousClock()
                    try await waitUntil("the client reconnected", within: .seconds(10), every: .milliseconds(5)) {
                        client.connectionCount > connectionsBefore && client.state == .ready
                    }
                    let reconnectedAfter = max(clock.now - switched.switchedAt, .zero)
                    let started = clock.now
                    _ = try await client.send("SET", "sentinel:key", "after")
                    let took = clock.now - started
                    try await withConnection(switched.newMaster.url) { redis in
                        let value = try await redis.send("GET", "sentinel:key").string
                        #expect(value == "after")
                    }
                    // A sentinel learns of the switch up to ~2 s after its leader, and a connect that still reaches the stopped
                    // master waits out the 2 s connect timeout; the 30 s command timeout is what a client without the
                    // watcher would wait.
                    #expect(reconnectedAfter <= .seconds(10), "reconnected \(reconnectedAfter) after +switch-master")
                    #expect(took < .seconds(5), "the command took \(took)")
                    print("sentinel (client): master SIGSTOPped; reconnected \(reconnectedAfter) after +switch-master")
                }
            }
        }
    }
}
