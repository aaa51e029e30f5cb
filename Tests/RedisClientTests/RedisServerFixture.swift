import Foundation
import LocalRedis
import NIOCore
import NIOPosix
import RESP
import RedisClient
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Shared fixtures for the integration suites that talk to a real redis-server. This file declares no suite.

/// Whether the integration suites can run here, decided once per test process.
enum RedisServerFixture {
    /// The message recorded when redis-server is missing on CI.
    static let missingMessage = "redis-server not on PATH: install redis-server"

    /// Path of the redis-server that LocalRedisServer would launch, or nil when there is none.
    static let executable: String? = LocalRedisServer.executablePath(named: "redis-server")

    /// Whether the environment variable CI is set (to anything), as CI services do.
    static let isCI: Bool = ProcessInfo.processInfo.environment["CI"] != nil

    /// True when the integration tests should run: redis-server exists, or we are on CI where its absence must fail.
    ///
    /// Evaluated lazily and once; when the tests are skipped it prints a warning to stderr so the skip is noticed.
    static let shouldRun: Bool = {
        if let executable {
            // Say which server the integration tests talk to, so a test log shows they ran against a real one.
            FileHandle.standardError.write(Data("RedisClient integration tests: using \(executable)\n".utf8))
            return true
        }
        if isCI { return true }
        let warning = """

            ************************************************************************
            WARNING: \(missingMessage).
            The RedisClient integration tests are SKIPPED. Set CI=1 to make them fail instead.
            ************************************************************************

            """
        FileHandle.standardError.write(Data(warning.utf8))
        return false
    }()
}

extension Trait where Self == ConditionTrait {
    /// Runs the suite only where it can do something useful.
    ///
    /// Without redis-server these integration tests cannot run. On a developer machine they are skipped, with a
    /// loud warning on stderr, so the unit tests stay usable without Redis installed. With CI set they are never
    /// skipped: they run and fail in ``withServer(_:deadline:sourceLocation:_:)``, because a silently skipped
    /// suite on CI would hide that the client was not tested at all.
    static var requiresRedisServer: Self {
        .enabled(
            if: RedisServerFixture.shouldRun,
            "needs redis-server on PATH; skipped locally when missing, fails when CI is set")
    }
}

/// Thrown after the missing-server issue was recorded, to stop the test body.
struct RedisServerUnavailable: Error, CustomStringConvertible {
    var description: String { RedisServerFixture.missingMessage }
}

/// Thrown when a test body does not finish before its deadline.
struct DeadlineExceeded: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "the test body did not finish within \(limit); it was cancelled (a hang?)" }
}

/// Runs `body`, failing with ``DeadlineExceeded`` when it takes longer than `limit`.
///
/// The body runs in a child task that is cancelled at the deadline; every wait in the client honours
/// cancellation, so a hung command ends instead of hanging the whole test run.
func withDeadline<Result: Sendable>(
    _ limit: Duration = .seconds(20),
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        if let first = try await group.next(), let result = first {
            return result
        }
        throw DeadlineExceeded(limit: limit)
    }
}

/// Starts a private redis-server, runs `body` with it under a deadline, and always stops the server.
///
/// When redis-server is missing (only possible here when CI is set, see ``Trait/requiresRedisServer``), records
/// the loud "install redis-server" issue and throws.
func withServer<Result: Sendable>(
    _ options: LocalRedisServerOptions = LocalRedisServerOptions(),
    deadline: Duration = .seconds(20),
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable (LocalRedisServer) async throws -> Result
) async throws -> Result {
    try await TestLoadGate.shared.load {
        guard RedisServerFixture.executable != nil else {
            Issue.record("\(RedisServerFixture.missingMessage)", sourceLocation: sourceLocation)
            throw RedisServerUnavailable()
        }
        let server = try await LocalRedisServer.start(options)
        do {
            let result = try await withDeadline(deadline) { try await body(server) }
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }
}

/// Connects to `url`, runs `body`, and closes the connection at once afterwards, whatever happened.
func withConnection<Result>(
    _ url: String,
    configuration: RedisConnectionConfiguration = RedisConnectionConfiguration(),
    _ body: (RedisConnection) async throws -> Result
) async throws -> Result {
    let connection = try await RedisConnection.connect(to: RedisEndpoint(url: url), configuration: configuration)
    do {
        let result = try await body(connection)
        await connection.closeNow()
        return result
    } catch {
        await connection.closeNow()
        throw error
    }
}

/// Runs `body` with a one-thread event loop group of its own, shut down afterwards.
///
/// For tests that load an event loop heavily (huge pipelines): a slow or stuck loop then cannot stall the
/// connections of tests running in parallel on the shared singleton group.
func withDedicatedEventLoop<Result>(_ body: (any EventLoopGroup) async throws -> Result) async throws -> Result {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    do {
        let result = try await body(group)
        try await group.shutdownGracefully()
        return result
    } catch {
        try? await group.shutdownGracefully()
        throw error
    }
}

/// Polls `condition` until it holds or `limit` passes; errors thrown by the condition count as "not yet".
///
/// Returns whether the condition held, so callers write `try #require(await eventually { … }, "what")`.
func eventually(
    within limit: Duration = .seconds(5),
    every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: limit)
    while true {
        if (try? await condition()) == true { return true }
        if clock.now >= deadline { return false }
        try await Task.sleep(for: interval)
    }
}

/// The server's `blocked_clients` count, from `INFO clients`.
func blockedClientCount(_ connection: some RedisCommandExecutor) async throws -> Int {
    let info = try await connection.send("INFO", "clients").string ?? ""
    let prefix = "blocked_clients:"
    for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix(prefix) {
        return Int(line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)) ?? -1
    }
    return -1
}

/// Waits (up to 5 s) until the server reports `count` clients blocked in BLPOP and friends; fails the test otherwise.
///
/// This is how a test knows a blocking command has really reached the server before it acts.
func requireBlockedClients(
    _ count: Int, on observer: some RedisCommandExecutor, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let reached = try await eventually { try await blockedClientCount(observer) == count }
    try #require(reached, "the server never reported \(count) blocked client(s)", sourceLocation: sourceLocation)
}

extension RedisError {
    /// The case's name, for readable expectations such as `#expect(error?.kind == "timeout")`.
    var kind: String {
        switch self {
        case .server: return "server"
        case .connectionClosed: return "connectionClosed"
        case .connectFailed: return "connectFailed"
        case .timeout: return "timeout"
        case .protocolViolation: return "protocolViolation"
        case .transactionAborted: return "transactionAborted"
        case .invalidEndpoint: return "invalidEndpoint"
        case .tlsConfiguration: return "tlsConfiguration"
        case .unexpectedReply: return "unexpectedReply"
        case .notConnected: return "notConnected"
        case .shutdown: return "shutdown"
        }
    }
}

extension RESPToken {
    /// The elements of an array reply as strings; nil elements for non-strings.
    var strings: [String?]? { array.map { $0.map(\.string) } }

    /// The elements of an array reply, decoded.
    var elements: [RESPToken]? { array.map { Swift.Array($0) } }
}

/// Collects values from `@Sendable` callbacks (state changes, timestamps) for later inspection.
final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])

    func append(_ value: Value) { values.withLock { $0.append(value) } }

    var all: [Value] { values.withLock { $0 } }
}

/// A loopback TCP socket owned by the test, to play a server that refuses or ignores clients.
///
/// `.refusing` is bound but not listening, so connecting to its port is refused; `.silent` listens but never
/// accepts or answers, so a connection completes (the kernel queues it) and then hears nothing. Either way the port
/// stays ours while the value lives, so no other process can take it.
final class LoopbackSocket: Sendable {
    enum Behaviour { case refusing, silent }

    let port: Int
    private let descriptor: Int32

    init(_ behaviour: Behaviour) throws {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw LoopbackSocketError(operation: "socket") }
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound, behaviour == .refusing || listen(descriptor, 16) == 0 else {
            let error = LoopbackSocketError(operation: "bind/listen")
            close(descriptor)
            throw error
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}

struct LoopbackSocketError: Error, CustomStringConvertible {
    let operation: String
    let reason = String(cString: strerror(errno))
    var description: String { "cannot set up a loopback socket (\(operation)): \(reason)" }
}
