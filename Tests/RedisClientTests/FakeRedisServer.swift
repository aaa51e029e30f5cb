import IPWatcherTestSupport
import NIOCore
import NIOPosix
import RESP
import Synchronization

// A loopback server that speaks just enough RESP to pass the client's handshake, then answers one command with
// bytes a real Redis would never send. This file declares no suite.

/// A fake Redis on 127.0.0.1 that answers the first `GET` it receives with ``hostileReply`` and every later `GET`
/// properly (`"ok"`), so a test sees a client hit by a hostile reply and then reconnect.
///
/// The handshake (`HELLO`, `AUTH`, `CLIENT SETNAME`, `SELECT`) and `PING` get ordinary replies. The server never
/// closes a connection itself: a connection that ends was closed by the client, which is what the tests check.
final class FakeRedisServer: Sendable {
    /// What happened so far, for the tests to poll.
    struct Events: Sendable {
        /// Connections accepted, in order; the first is 1.
        var accepted = 0
        /// Numbers of the connections that ended (the client closed them or reset them).
        var closed: [Int] = []
        /// The connection the hostile reply went out on, once it did.
        var hostileOn: Int?
        /// The connections that got a proper `GET` reply.
        var answeredOn: [Int] = []
        /// Bytes received from clients that were not a valid command; should stay zero.
        var garbledCommands = 0
    }

    /// The port the server listens on.
    let port: Int
    /// The bytes sent in answer to the first `GET`.
    let hostileReply: [UInt8]
    private let channel: any Channel
    private let events = Mutex(Events())

    private init(port: Int, hostileReply: [UInt8], channel: any Channel) {
        self.port = port
        self.hostileReply = hostileReply
        self.channel = channel
    }

    /// Starts a server on a free loopback port.
    static func start(hostileReply: [UInt8]) async throws -> FakeRedisServer {
        try await LoopbackServerChannel.start(
            server: { FakeRedisServer(port: $1, hostileReply: hostileReply, channel: $0) },
            connectionHandler: { FakeRedisHandler(server: $0) })
    }

    /// `redis://127.0.0.1:<port>`.
    var url: String { "redis://127.0.0.1:\(port)" }

    /// A copy of what happened so far.
    var snapshot: Events { events.withLock { $0 } }

    /// Stops listening; connections still open are closed with it.
    func stop() async {
        try? await channel.close()
    }

    // MARK: - Called by the handlers

    /// Registers a new connection and returns its number.
    func accepted() -> Int {
        events.withLock {
            $0.accepted += 1
            return $0.accepted
        }
    }

    func closed(connection: Int) {
        events.withLock { $0.closed.append(connection) }
    }

    func garbled() {
        events.withLock { $0.garbledCommands += 1 }
    }

    /// The reply to `GET` on `connection`: the hostile bytes the first time, `$2\r\nok\r\n` after that.
    func replyToGet(on connection: Int) -> [UInt8] {
        events.withLock { events in
            if events.hostileOn == nil {
                events.hostileOn = connection
                return hostileReply
            }
            events.answeredOn.append(connection)
            return Array("$2\r\nok\r\n".utf8)
        }
    }
}
