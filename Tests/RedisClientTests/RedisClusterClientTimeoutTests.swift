import IPWatcherTestSupport
import RESP
import Testing

@testable import RedisClient

/// ``RedisClusterClient`` without a cluster to reach: how long a command waits before it fails.
///
/// Apart from ``RedisClusterClientTests`` because it asserts a duration (`.measuresTime`) and needs no cluster.
@Suite("Redis Cluster client: no reachable seed", .timeLimit(.minutes(10)), .measuresTime)
struct RedisClusterClientTimeoutTests {
    @Test("Without any reachable seed a command fails with topologyUnavailable after the command timeout; after run() ends, with shutdown")
    func noReachableSeed() async throws {
        let configuration = RedisConnectionConfiguration(connectTimeout: .milliseconds(200), commandTimeout: .milliseconds(400))
        let client = RedisClusterClient(seeds: [try RedisEndpoint(url: "redis://127.0.0.1:1")], configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            let clock = ContinuousClock()
            let started = clock.now
            let error = await #expect(throws: RedisClusterError.self) {
                try await client.send(RESPCommand("GET", "x"), key: "x")
            }
            let waited = clock.now - started
            #expect(waited >= .milliseconds(350) && waited < .seconds(3), "\(waited)")
            if case .topologyUnavailable(let lastError)? = error {
                #expect(lastError?.contains("127.0.0.1:1") == true, "\(lastError ?? "nil")")
            } else {
                Issue.record("expected topologyUnavailable, got \(String(describing: error))")
            }
            group.cancelAll()
            try await group.waitForAll()
        }
        let afterwards = await #expect(throws: RedisError.self) {
            try await client.send(RESPCommand("GET", "x"), key: "x")
        }
        #expect(afterwards?.kind == "shutdown")
        await #expect(throws: RedisClusterError.self) { try await client.run() }
    }
}
