import Foundation
import IPWatcherTestSupport
import NIOCore
import RESP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// A pub/sub subscriber for the tests. This file declares no suite.

/// A plain TCP connection to Redis that has sent `SUBSCRIBE channel` and collects the published messages.
///
/// The project's client does not support subscriptions (a `SUBSCRIBE` reply is a push that no command waits for),
/// so this speaks RESP2 over a raw non-blocking socket and parses the replies with the project's `RESPParser`.
/// Every read polls with short sleeps up to a deadline, so nothing blocks a thread or waits forever.
final class ChannelSubscriber {
    let channel: String
    private let descriptor: Int32
    private var buffer = ByteBuffer()
    private var parser = RESPParser()

    /// Connects to 127.0.0.1:`port`, subscribes to `channel` and returns once Redis confirmed the subscription.
    init(port: Int, channel: String, within limit: Duration = .seconds(5)) async throws {
        self.channel = channel
        let descriptor = try LoopbackClientSocket.connect(port: port)
        self.descriptor = descriptor
        let command = Array("*2\r\n$9\r\nSUBSCRIBE\r\n$\(channel.utf8.count)\r\n\(channel)\r\n".utf8)
        let written = command.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard written == command.count else { throw SubscriberError("cannot send SUBSCRIBE") }
        guard let confirmation = try await nextReply(within: limit) else {
            throw SubscriberError("Redis did not confirm SUBSCRIBE \(channel) within \(limit)")
        }
        let parts = confirmation.array.map { Array($0).map(\.string) } ?? []
        guard parts.first == "subscribe", parts.count == 3, parts[1] == channel else {
            throw SubscriberError("unexpected reply to SUBSCRIBE: \(confirmation)")
        }
    }

    deinit { close(descriptor) }

    /// The payload of the next message published on the channel, or nil when none arrives within `limit`.
    func nextMessage(within limit: Duration = .seconds(5)) async throws -> String? {
        let deadline = ContinuousClock.now.advanced(by: limit)
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero, let reply = try await nextReply(within: remaining) else { return nil }
            let parts = reply.array.map { Array($0).map(\.string) } ?? []
            if parts.count == 3, parts[0] == "message", parts[1] == channel, let payload = parts[2] {
                return payload
            }
        }
    }

    /// Every message that arrives within `duration`.
    func messages(during duration: Duration) async throws -> [String] {
        let deadline = ContinuousClock.now.advanced(by: duration)
        var result: [String] = []
        while ContinuousClock.now < deadline {
            if let message = try await nextMessage(within: ContinuousClock.now.duration(to: deadline)) {
                result.append(message)
            }
        }
        return result
    }

    /// The next complete reply, or nil when none is complete within `limit`.
    private func nextReply(within limit: Duration) async throws -> RESPToken? {
        let deadline = ContinuousClock.now.advanced(by: limit)
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let token = try parser.next(from: &buffer) { return token }
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.writeBytes(chunk[0..<count])
                continue
            }
            if count == 0 { throw SubscriberError("Redis closed the subscriber connection") }
            guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else {
                throw SubscriberError("recv: \(String(cString: strerror(errno)))")
            }
            if ContinuousClock.now >= deadline { return nil }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

struct SubscriberError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A block event as published on the events channel, decoded from its JSON.
struct PublishedEvent {
    let fields: [String: Any]

    init(json: String) throws {
        guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw SubscriberError("the event is not a JSON object: \(json)")
        }
        fields = object
    }

    var event: String? { fields["event"] as? String }
    var unit: String? { fields["unit"] as? String }
    var count: Int? { integer("count").map(Int.init) }
    var window: Int? { integer("window").map(Int.init) }
    var mode: String? { fields["mode"] as? String }
    /// The rule the unit crossed.
    var rule: String? { fields["rule"] as? String }
    /// The unit's offence number under ban escalation; nil when escalation is off (JSON null).
    var offence: Int64? { integer("offence") }
    /// Whether the rule was in dry run (nothing written).
    var dryRun: Bool? { fields["dry_run"] as? Bool }
    var hasExpiresAt: Bool { fields.keys.contains("expires_at") }
    /// `expires_at` as a number; nil when absent or JSON null.
    var expiresAt: Int64? { integer("expires_at") }
    var expiresAtIsNull: Bool { fields["expires_at"] is NSNull }
    /// `at`: when the worker made the change, by its clock (Unix ms).
    var at: Int64? { integer("at") }

    /// A whole number however Foundation decoded it.
    private func integer(_ key: String) -> Int64? {
        switch fields[key] {
        case let value as Int: return Int64(value)
        case let value as Int64: return value
        case let value as NSNumber: return value.int64Value
        default: return nil
        }
    }
}
