import Foundation
import IPWatcherTestSupport
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

// Helpers of the RedisClient integration suites (the fixtures are in IPWatcherTestSupport). This file declares no suite.

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
    let reached = try await eventually(within: .seconds(5)) { try await blockedClientCount(observer) == count }
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
