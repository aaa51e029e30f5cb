import Foundation
import NIOCore
import NIOPosix

/// A minimal HTTP/1.1 client on plain SwiftNIO, for the metrics endpoint's and the web tier's tests: sends raw
/// requests over one TCP connection and reads every response until the server closes it.
public enum HTTPTestClient {
    /// One HTTP response as the tests look at it.
    public struct Response: Sendable, CustomStringConvertible {
        /// The status code: 200, 404, ….
        public var status: Int
        /// Header values by lower-cased name.
        public var headers: [String: String]
        /// The body as text.
        public var body: String

        public var description: String { "HTTP \(status) \(headers) \(body.prefix(200).debugDescription)" }
    }

    /// Sends a `method` (`GET`, `HEAD`, …) request for `path` to 127.0.0.1:`port` with `Connection: close` and
    /// `headers` (name, value) after `Host`.
    public static func send(
        _ path: String, method: String = "GET", port: Int, headers: [(String, String)] = []
    ) async throws -> Response {
        let responses = try await exchange(port: port, requests: [(method, path)], headers: headers)
        guard let response = responses.first else { throw WaitTimedOut(description: "no response to \(method) \(path)") }
        return response
    }

    /// Sends the requests one after another on one connection (keep-alive; the last asks to close), each with
    /// `headers`, and returns the responses in order.
    public static func exchange(
        port: Int, requests: [(method: String, path: String)], headers: [(String, String)] = []
    ) async throws -> [Response] {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        var text = ""
        for (index, request) in requests.enumerated() {
            let connection = index == requests.count - 1 ? "close" : "keep-alive"
            text += "\(request.method) \(request.path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: \(connection)\r\n"
            for (name, value) in headers { text += "\(name): \(value)\r\n" }
            text += "\r\n"
        }
        let received = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: text))
            var received = ByteBuffer()
            for try await chunk in inbound { received.writeImmutableBuffer(chunk) }
            return received
        }
        return try parse(String(buffer: received), methods: requests.map(\.method))
    }

    /// Splits the bytes of consecutive responses, using `Content-Length` (and no body for `HEAD`).
    private static func parse(_ text: String, methods: [String]) throws -> [Response] {
        var rest = Substring(text)
        var responses: [Response] = []
        for method in methods {
            guard let headEnd = rest.range(of: "\r\n\r\n") else {
                throw WaitTimedOut(description: "incomplete response head in \(text.debugDescription)")
            }
            let lines = rest[..<headEnd.lowerBound].components(separatedBy: "\r\n")
            let statusParts = lines[0].split(separator: " ")
            guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
                throw WaitTimedOut(description: "bad status line \(lines[0].debugDescription)")
            }
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            rest = rest[headEnd.upperBound...]
            let length = method == "HEAD" ? 0 : Int(headers["content-length"] ?? "") ?? rest.utf8.count
            let bodyEnd = rest.utf8.index(rest.startIndex, offsetBy: min(length, rest.utf8.count))
            responses.append(Response(status: status, headers: headers, body: String(rest[..<bodyEnd])))
            rest = rest[bodyEnd...]
        }
        return responses
    }
}
