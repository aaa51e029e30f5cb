import IPWatcherTestSupport
import NIOCore
@testable import RedisClient
import Testing

/// How long a command waits for a connection: a fresh client's first connect may take the connect timeout, so a
/// command sent meanwhile waits that long, not only the (shorter) command timeout.
@Suite("Waiting for the first connection", .needsRedisServer, .timeLimit(.minutes(10)))
struct ConnectionWaitIntegrationTests {
    static func configuration(command: Duration, connect: Duration) -> RedisConnectionConfiguration {
        var configuration = RedisConnectionConfiguration()
        configuration.commandTimeout = command
        configuration.connectTimeout = connect
        return configuration
    }

    @Test("a command sent before the first connect waits past the command timeout, up to the connect timeout")
    func firstConnectWaitsForTheConnectTimeout() async throws {
        try await withRedisServer { server in
            let client = RedisServerClient(
                endpoint: try RedisEndpoint(url: server.url),
                configuration: Self.configuration(command: .milliseconds(100), connect: .seconds(15)))
            try await withThrowingTaskGroup(of: Void.self) { group in
                let ping = Task { try await client.send("PING").string }
                // The connect starts only after four command timeouts: under the old rule the PING had failed.
                try await Task.sleep(for: .milliseconds(400))
                group.addTask { try await client.run() }
                #expect(try await ping.value == "PONG")
                group.cancelAll()
            }
        }
    }

    @Test("before the first connection the wait is the longer of both timeouts, after it the command timeout")
    func waitLimitDependsOnAnEarlierConnection() throws {
        let endpoint = try RedisEndpoint(url: "redis://127.0.0.1:1")
        let slowConnect = RedisServerClient(
            endpoint: endpoint, configuration: Self.configuration(command: .seconds(1), connect: .seconds(5)))
        #expect(slowConnect.connectionWaitLimit(connectedBefore: false) == .seconds(5))
        #expect(slowConnect.connectionWaitLimit(connectedBefore: true) == .seconds(1))
        let slowCommands = RedisServerClient(
            endpoint: endpoint, configuration: Self.configuration(command: .seconds(8), connect: .seconds(2)))
        #expect(slowCommands.connectionWaitLimit(connectedBefore: false) == .seconds(8))
        #expect(slowCommands.connectionWaitLimit(connectedBefore: true) == .seconds(8))
    }
}
