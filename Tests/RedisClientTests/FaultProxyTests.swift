import IPWatcherTestSupport
import RESP
import RedisClient
import Testing

/// The fault proxy the worker's bad-network tests stand between it and Redis: each toxic does what it says, on
/// connections that are already open, and only while it is on.
@Suite("Fault proxy", .needsRedisServer, .timeLimit(.minutes(10)))
struct FaultProxyTests {
    @Test("without toxics, commands pass through and the counters see both directions and the connection")
    func forwardsWithoutToxics() async throws {
        try await withRedisServer { server in
            try await withFaultProxy(upstreamPort: try #require(server.port)) { proxy in
                try await withConnection(proxy.redisURL) { connection async throws in
                    #expect(try await connection.send("SET", "through", "proxy").string == "OK")
                    #expect(try await connection.send("GET", "through").string == "proxy")
                }
                let counters = proxy.counters
                #expect(counters.connectionsAccepted == 1)
                #expect(counters.bytesUpstream > 0 && counters.bytesDownstream > 0, "\(counters)")
                try await waitUntil("the closed connection is no longer open") { proxy.counters.connectionsOpen == 0 }
            }
        }
    }

    @Test("latency 50 ms ± 10 ms delays each round trip by at least 80 ms and keeps 5,000 replies in order")
    func latencyDelaysAndKeepsOrder() async throws {
        try await withRedisServer { server in
            try await withFaultProxy(upstreamPort: try #require(server.port)) { proxy in
                try await withConnection(proxy.redisURL) { connection in
                    proxy.latency(mean: .milliseconds(50), jitter: .milliseconds(10))
                    let clock = ContinuousClock()
                    for _ in 0..<3 {
                        let elapsed = try await clock.measure { _ = try await connection.send("PING") }
                        #expect(elapsed >= .milliseconds(80), "a round trip took \(elapsed)")
                    }
                    var encoder = RESPCommandEncoder()
                    for _ in 0..<5_000 { encoder.encode("INCR", "ordered") }
                    let replies = try await connection.pipeline(encoder)
                    let firstOutOfOrder = replies.indices.first { replies[$0].int != Int64($0 + 1) }
                    #expect(replies.count == 5_000)
                    #expect(firstOutOfOrder == nil, "reply \(firstOutOfOrder ?? -1) is out of order")

                    proxy.clear()
                    #expect(proxy.toxics.latency == nil)
                    #expect(try await connection.send("PING").string == "PONG")
                }
            }
        }
    }

    @Test("a partition holds commands, also of a client that left meanwhile, and healing delivers them")
    func partitionHoldsThenHeals() async throws {
        try await withRedisConnection { server, direct in
            try await withFaultProxy(upstreamPort: try #require(server.port)) { proxy in
                let configuration = RedisConnectionConfiguration(commandTimeout: .seconds(30))
                try await withConnection(proxy.redisURL, configuration: configuration) { connection in
                    let leaving = try ProbeSocket(port: proxy.port)
                    try await waitUntil("both connections are through") { proxy.counters.upstreamConnectionsOpen == 2 }
                    proxy.partition()
                    try await withThrowingTaskGroup(of: String?.self) { group in
                        group.addTask { try await connection.send("SET", "held", "yes").string }
                        // A client that sends and leaves during the partition: its command is held, not dropped.
                        try leaving.send("*3\r\n$3\r\nSET\r\n$4\r\nleft\r\n$3\r\nyes\r\n")
                        leaving.close()
                        let arrived = try await eventually(within: .milliseconds(700)) {
                            try await direct.send("EXISTS", "held", "left").int != 0
                        }
                        #expect(!arrived, "a write went through the partition")
                        proxy.heal()
                        #expect(try await group.next() == "OK")
                    }
                    #expect(try await direct.send("GET", "held").string == "yes")
                    try await waitUntil("the departed client's command arrives after the heal") {
                        try await direct.send("GET", "left").string == "yes"
                    }
                    try await waitUntil("its upstream connection is closed then") {
                        proxy.counters.upstreamConnectionsOpen == 1
                    }
                    #expect(try await connection.send("PING").string == "PONG")
                }
                #expect(proxy.counters.connectionsAccepted == 2, "the connection had to be replaced")
            }
        }
    }

    @Test("a bandwidth cap of 200 kB/s stretches a 100 kB reply to at least 0.4 s")
    func bandwidthCapStretchesReply() async throws {
        try await withRedisConnection { server, direct in
            _ = try await direct.send("SET", "big", String(repeating: "x", count: 100_000))
            try await withFaultProxy(upstreamPort: try #require(server.port)) { proxy in
                try await withConnection(proxy.redisURL) { connection in
                    proxy.bandwidth(bytesPerSecond: 200_000)
                    let elapsed = try await ContinuousClock().measure { () async throws in
                        #expect(try await connection.send("GET", "big").string?.count == 100_000)
                    }
                    #expect(elapsed >= .milliseconds(400), "100 kB arrived in \(elapsed)")
                }
            }
        }
    }

    @Test("a reset mid-reply passes at most the given bytes, then the client reads ECONNRESET")
    func resetMidReply() async throws {
        try await withRedisConnection { server, direct in
            _ = try await direct.send("SET", "big", String(repeating: "x", count: 100_000))
            try await withFaultProxy(upstreamPort: try #require(server.port)) { proxy in
                let probe = try ProbeSocket(port: proxy.port)
                proxy.resetMidReply(afterBytes: 1_000)
                try probe.send("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n")
                let (bytes, ending) = try await probe.readToEnd(within: .seconds(10))
                #expect(ending == .reset)
                #expect(bytes.count <= 1_000)
                #expect(proxy.counters.resets == 1)
                try await waitUntil("the reset connection is gone") { proxy.counters.connectionsOpen == 0 }
            }
        }
    }

    @Test("a cut reply passes exactly the given bytes, then closes the connection in order")
    func cutReply() async throws {
        try await withRedisConnection { server, direct in
            _ = try await direct.send("SET", "big", String(repeating: "x", count: 100_000))
            try await withFaultProxy(upstreamPort: try #require(server.port)) { proxy in
                let probe = try ProbeSocket(port: proxy.port)
                proxy.cutReply(afterBytes: 1_000)
                try probe.send("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n")
                let (bytes, ending) = try await probe.readToEnd(within: .seconds(10))
                #expect(ending == .closed)
                #expect(bytes.count == 1_000)
                #expect(bytes.starts(with: Array("$100000\r\nxxx".utf8)))
                #expect(proxy.counters.cuts == 1)
            }
        }
    }
}
