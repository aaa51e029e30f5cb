import IPWatcherDaemon
import IPWatcherTestSupport
import Logging
import Testing

/// The limits of the metrics server, in process with small settings so each takes a few seconds:
/// a silent or trickling request is cut at the request deadline, an idle keep-alive at the idle one, an
/// oversized request is refused, and at the connection cap the oldest waiting connection makes room.
@Suite("Metrics: connection limits of the endpoint", .timeLimit(.minutes(10)), .measuresTime)
struct MetricsServerLimitsTests {
    /// Limits short enough to watch: 1 s per request, 2.5 s idle, 1 KiB, 4 connections, 20 ms grace. Not
    /// shorter: in a full test run the client's event loops can lag by hundreds of milliseconds, and a client
    /// that has not yet seen its connection open cannot watch it close.
    static let limits = MetricsConnectionLimits(
        maxConnections: 4, requestTimeout: .seconds(1), idleTimeout: .milliseconds(2500), maxRequestBytes: 1024,
        admissionGrace: .milliseconds(20))

    /// ``limits`` with deadlines no loaded machine reaches, for the tests that are not about deadlines: a test task
    /// starved for a second between its connect and its request must not see its connection cut.
    static var patient: MetricsConnectionLimits {
        var limits = Self.limits
        limits.requestTimeout = .seconds(30)
        limits.idleTimeout = .seconds(30)
        return limits
    }

    /// Slack for a loaded machine: a deadline may fire this much late, never early.
    static let slack = Duration.seconds(2)

    /// Expects a response with `statusLine` on `connection`, and the connection closed within ``slack``.
    static func expectRefused(
        _ connection: RawTestConnection, with statusLine: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        _ = try #require(try await connection.closeDelay(within: slack), sourceLocation: sourceLocation)
        #expect(
            connection.received.hasPrefix("HTTP/1.1 \(statusLine)\r\n"), "\(connection.received)",
            sourceLocation: sourceLocation)
    }

    /// Runs a metrics server with `limits` on a free loopback port for `body`, then stops it.
    func withRedisServer(
        _ limits: MetricsConnectionLimits = Self.limits, _ body: (_ port: Int) async throws -> Void
    ) async throws {
        let server = try await MetricsServer.bind(
            listen: .anyLoopbackPort, logger: Logger(label: "metrics-limits-test"), limits: limits,
            metrics: { "ipwatcher_test 1\n" }, health: { nil })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            try await body(server.address.port)
        }
    }

    @Test("a connection that sends nothing is closed at the request deadline, not before")
    func silentConnectionIsClosed() async throws {
        try await withRedisServer { port in
            // Before the connect: the server's deadline starts at its accept, which the client may see late.
            let start = ContinuousClock.now
            let connection = try await RawTestConnection.open(port: port)
            let delay = try #require(
                try await connection.closeDelay(since: start, within: Self.limits.requestTimeout + Self.slack))
            #expect(delay >= Self.limits.requestTimeout - .milliseconds(50), "\(delay)")
            #expect(connection.received.isEmpty)
        }
    }

    @Test("a request trickled a byte at a time is closed at the request deadline; trickling does not extend it")
    func tricklingRequestIsClosed() async throws {
        try await withRedisServer { port in
            // Before the connect, as above.
            let start = ContinuousClock.now
            let connection = try await RawTestConnection.open(port: port)
            // 44 bytes a byte per 50 ms: 2.2 s, more than twice the deadline. A deadline that each byte pushed back
            // would let every byte through; one that holds cuts the connection before the last.
            let request = Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX: y\r\n")
            var sent = 0
            for byte in request {
                guard connection.isOpen else { break }
                try? await connection.send(String(byte))
                sent += 1
                try await Task.sleep(for: .milliseconds(50))
            }
            _ = try #require(try await connection.closeDelay(within: Self.slack))
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= Self.limits.requestTimeout - .milliseconds(50), "\(elapsed)")
            #expect(sent < request.count, "every byte of the trickled request was let through")
            #expect(connection.received.isEmpty)
        }
    }

    @Test("an idle keep-alive connection outlives the request deadline and is closed at the idle one")
    func idleKeepAliveIsClosed() async throws {
        // An idle deadline well past the request deadline: a test task starved for seconds between the answer and
        // the check must not find the idle deadline already passed.
        var limits = Self.limits
        limits.idleTimeout = .seconds(6)
        try await withRedisServer(limits) { port in
            let connection = try await RawTestConnection.open(port: port)
            try await connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            try await waitUntil("the first response arrives") { connection.received.hasSuffix("ok\n") }
            // Past the request deadline: a keep-alive pause is not a slow request.
            try await Task.sleep(for: limits.requestTimeout + .milliseconds(500))
            #expect(connection.isOpen)
            // The next request on the same connection is answered and restarts the idle deadline, which cannot
            // start before the request is sent.
            let start = ContinuousClock.now
            try await connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            try await waitUntil("the second response arrives") {
                connection.received.components(separatedBy: "HTTP/1.1 200 OK").count == 3
            }
            let delay = try #require(
                try await connection.closeDelay(since: start, within: limits.idleTimeout + Self.slack))
            #expect(delay >= limits.idleTimeout - .milliseconds(50), "\(delay)")
        }
    }

    @Test("a request head over the size limit is answered 431 and closed")
    func oversizedHeadIsRefused() async throws {
        try await withRedisServer(Self.patient) { port in
            let connection = try await RawTestConnection.open(port: port)
            let filler = String(repeating: "a", count: Self.limits.maxRequestBytes)
            try await connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: \(filler)\r\n\r\n")
            try await Self.expectRefused(connection, with: "431 Request Header Fields Too Large")
        }
    }

    @Test("a body that takes a request over the size limit after its head arrived is answered 413 and closed")
    func oversizedBodyIsRefused() async throws {
        try await withRedisServer(Self.patient) { port in
            let connection = try await RawTestConnection.open(port: port)
            let size = Self.limits.maxRequestBytes * 2
            try await connection.send("POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(size)\r\n\r\n")
            // Apart, so that the decoder has produced the head before the body arrives.
            try await Task.sleep(for: .milliseconds(100))
            try? await connection.send(String(repeating: "b", count: size))
            try await Self.expectRefused(connection, with: "413 Content Too Large")
        }
    }

    @Test("a request head just under the size limit is answered")
    func headUnderLimitIsAnswered() async throws {
        try await withRedisServer(Self.patient) { port in
            let connection = try await RawTestConnection.open(port: port)
            let head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: \r\n\r\n"
            let filler = String(repeating: "a", count: Self.limits.maxRequestBytes - head.utf8.count)
            try await connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: \(filler)\r\n\r\n")
            try await waitUntil("the response arrives") { connection.received.hasSuffix("ok\n") }
            #expect(connection.received.hasPrefix("HTTP/1.1 200 OK\r\n"))
        }
    }

    @Test("at the connection cap a new connection closes the oldest waiting one, and /healthz is answered")
    func capClosesOldestWaitingConnection() async throws {
        let limits = Self.patient
        try await withRedisServer(limits) { port in
            var held: [RawTestConnection] = []
            for index in 0..<limits.maxConnections {
                let connection = try await RawTestConnection.open(port: port)
                // Half of them half-sent, half silent: both kinds wait on the client.
                if index.isMultiple(of: 2) { try await connection.send("GET /healthz HTTP/1.1\r\n") }
                held.append(connection)
                // Accept order is connect order only once the server has admitted each.
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(held.allSatisfy { $0.isOpen })
            let response = try await HTTPTestClient.send("/healthz", port: port)
            #expect(response.status == 200)
            #expect(try await held[0].closeDelay(within: Self.slack) != nil, "the oldest connection stays open")
            #expect(held.dropFirst().allSatisfy { $0.isOpen })
            for connection in held { await connection.close() }
        }
    }

    @Test("a flood of connections far past the cap never keeps /healthz out, and the cap holds after it")
    func floodPastCap() async throws {
        let limits = Self.patient
        try await withRedisServer(limits) { port in
            var held: [RawTestConnection] = []
            for _ in 0..<50 {
                held.append(try await RawTestConnection.open(port: port))
                let response = try await HTTPTestClient.send("/healthz", port: port)
                #expect(response.status == 200)
            }
            // The last few may still be in their grace period; past it, the next connection closes them down to the
            // cap.
            try await Task.sleep(for: limits.admissionGrace * 2)
            #expect(try await HTTPTestClient.send("/healthz", port: port).status == 200)
            try await waitUntil("all but the newest few held connections are closed") {
                held.filter(\.isOpen).count < limits.maxConnections
            }
            for connection in held { await connection.close() }
        }
    }
}
