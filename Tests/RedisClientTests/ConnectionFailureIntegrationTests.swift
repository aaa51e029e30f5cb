import IPWatcherTestSupport
import LocalRedis
import RESP
import RedisClient
import Testing

@Suite("Server failures and reconnects", .serialized, .needsRedisServer, .timeLimit(.minutes(10)), .measuresTime)
struct ConnectionFailureIntegrationTests {
    @Test("RedisServerClient reconnects after the server is killed and restarted, passing through backingOff")
    func clientReconnectsAfterRestart() async throws {
        try await withRedisServer { server in
            let configuration = RedisConnectionConfiguration(
                connectTimeout: .seconds(2),
                commandTimeout: .seconds(1),
                backoff: RedisBackoff(initial: .milliseconds(20), maximum: .milliseconds(200)))
            let states = Recorder<RedisConnectionState>()
            let client = RedisServerClient(
                endpoint: try RedisEndpoint(url: server.url), configuration: configuration,
                onStateChange: { states.append($0) })
            #expect(client.state == .idle)

            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.run() }
                defer { group.cancelAll() }

                try #require(await eventually { client.state.isReady }, "never connected; state \(client.state)")
                #expect(try await client.send("SET", "before", "crash").string == "OK")
                #expect(client.state == .ready)
                #expect(client.connectionCount == 1)

                await server.kill()
                try #require(
                    await eventually { !client.state.isReady }, "state stayed \(client.state) after the kill")
                try #require(
                    await eventually {
                        if case .backingOff = client.state { return true }
                        return false
                    }, "never backed off while the server was down; states: \(states.all)")
                // Commands wait for a connection up to the command timeout, then fail.
                let clock = ContinuousClock()
                let start = clock.now
                let error = await #expect(throws: RedisError.self) { try await client.send("PING") }
                #expect(error?.kind == "notConnected", "\(String(describing: error))")
                #expect(start.duration(to: clock.now) < .seconds(3))

                try await server.restart()
                try #require(
                    await eventually { try await client.send("PING").string == "PONG" },
                    "no successful command within 5 s of the restart; state \(client.state)")
                #expect(client.state == .ready)
                #expect(client.connectionCount >= 2)
                // A fresh server without persistence: the old key is gone, new writes work.
                #expect(try await client.send("GET", "before").isNull)
                #expect(try await client.send("SET", "after", "restart").string == "OK")
            }
            #expect(client.state == .shutdown)

            let seen = states.all
            #expect(seen.first == .connecting(attempt: 1))
            #expect(seen.contains { if case .backingOff = $0 { return true } else { return false } }, "\(seen)")
            #expect(seen.filter { $0 == .ready }.count >= 2, "\(seen)")
            #expect(seen.last == .shutdown, "\(seen)")
        }
    }

    @Test("Connecting to a port where nothing listens throws connectFailed quickly")
    func connectToRefusingPortFailsQuickly() async throws {
        try await withTestDeadline {
            let refusing = try LoopbackSocket(.refusing)
            let clock = ContinuousClock()
            let start = clock.now
            let error = await #expect(throws: RedisError.self) {
                try await withConnection("redis://127.0.0.1:\(refusing.port)") { _ in }
            }
            #expect(error?.kind == "connectFailed", "\(String(describing: error))")
            #expect(start.duration(to: clock.now) < .seconds(2))
            if case .connectFailed(let endpoint, let cause) = error {
                #expect(endpoint == "redis://127.0.0.1:\(refusing.port)")
                // NIO's nested NIOConnectionError, read as the one cause it carries.
                #expect(cause == .refused, "\(cause)")
            }
        }
    }

    @Test("Connecting to a Unix socket file that does not exist says no such socket file")
    func missingUnixSocketIsNamed() async throws {
        try await withTestDeadline {
            let error = await #expect(throws: RedisError.self) {
                try await withConnection("unix:///tmp/ipwatcher-no-such-\(UInt64.random(in: 0...UInt64.max)).sock") { _ in }
            }
            let message = error.map { "\($0)" } ?? ""
            #expect(message.hasSuffix(": no such socket file"), "\(message)")
        }
    }

    @Test("Connecting to a server that accepts but never answers throws timeout within the connect timeout")
    func silentServerTimesOut() async throws {
        try await withTestDeadline {
            let silent = try LoopbackSocket(.silent)
            var configuration = RedisConnectionConfiguration()
            configuration.connectTimeout = .milliseconds(500)
            let clock = ContinuousClock()
            let start = clock.now
            let error = await #expect(throws: RedisError.self) {
                try await withConnection("redis://127.0.0.1:\(silent.port)", configuration: configuration) { _ in }
            }
            let elapsed = start.duration(to: clock.now)
            #expect(error?.kind == "timeout", "\(String(describing: error))")
            #expect(elapsed >= .milliseconds(400), "gave up after \(elapsed)")
            #expect(elapsed < .seconds(2), "gave up after \(elapsed)")
        }
    }

    @Test("A server that turns clients away (maxclients reached) makes connect throw a RedisError, every time")
    func serverAtMaxClientsMakesConnectThrowRedisError() async throws {
        var options = LocalRedisServerOptions()
        options.extraArguments = ["--maxclients", "1"]
        try await withRedisServer(options) { server in
            // The one allowed client; every further connection is answered "-ERR max number of clients reached"
            // and closed by the server. Whenever that reply arrives, connect must fail with a RedisError: neither
            // return a connection the server already rejected nor leak a NIO error.
            try await withConnection(server.url) { holder async throws in
                #expect(try await holder.send("PING").string == "PONG")
                var outcomes: [String: Int] = [:]
                for _ in 0..<30 {
                    do {
                        let connection = try await RedisConnection.connect(to: RedisEndpoint(url: server.url))
                        outcomes["connected (protocolVersion \(connection.protocolVersion))", default: 0] += 1
                        await connection.closeNow()
                    } catch let error as RedisError {
                        outcomes["RedisError.\(error.kind)", default: 0] += 1
                    } catch {
                        outcomes["\(type(of: error)).\(error)", default: 0] += 1
                    }
                }
                let unexpected = outcomes.filter { !$0.key.hasPrefix("RedisError.") }
                #expect(unexpected.isEmpty, "30 connects to a full server: \(outcomes.sorted { $0.key < $1.key })")
                #expect(try await holder.send("PING").string == "PONG")
            }
        }
    }
}
