import NIOCore
import NIOHTTP1
import NIOPosix

/// Fetches the worker's Prometheus text from its metrics endpoint (`metrics.listen`), for `ipwatcher top`.
///
/// One `GET` over a fresh connection with `Connection: close`, cut off after `timeout`; anything but a 200 is an
/// error naming what came back.
public struct MetricsScraper: Sendable {
    /// What went wrong with a scrape, in words for the screen.
    public struct Failure: Error, CustomStringConvertible {
        /// What happened: "connection refused", "HTTP 404", "no answer within 1 s".
        public var description: String
    }

    /// The endpoint's host and port.
    public let address: MetricsListenAddress
    /// The path asked for.
    public let path: String
    /// The longest a scrape may take.
    public let timeout: Duration

    /// A scraper of `http://<address>/path`.
    public init(address: MetricsListenAddress, path: String = "/metrics", timeout: Duration = .seconds(1)) {
        self.address = address
        self.path = path
        self.timeout = timeout
    }

    /// A scraper of `text`: `host:port`, `[IPv6]:port`, or an `http://` URL with either and an optional path; nil
    /// when it is none of those.
    public init?(_ text: String, timeout: Duration = .seconds(1)) {
        var rest = Substring(text)
        if rest.hasPrefix("http://") { rest = rest.dropFirst(7) }
        var path = "/metrics"
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = rest[..<slash]
        }
        guard let address = MetricsListenAddress(String(rest)), address.port > 0 else { return nil }
        self.init(address: address, path: path, timeout: timeout)
    }

    /// The response body of one `GET`.
    public func fetch() async throws -> String {
        try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask { try await self.exchange() }
            group.addTask {
                try await Task.sleep(for: self.timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let body = try await group.next() ?? nil else {
                throw Failure(description: "no answer within \(timeout)")
            }
            return body
        }
    }

    /// Connects, sends the request and reads the whole response.
    private func exchange() async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.milliseconds(Int64(timeout / .milliseconds(1))))
            .connect(host: address.host, port: address.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
            head.headers.add(name: "Host", value: address.description)
            head.headers.add(name: "Connection", value: "close")
            try await outbound.write(.head(head))
            try await outbound.write(.end(nil))
            var status: HTTPResponseStatus?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let response): status = response.status
                case .body(var chunk): body.writeBuffer(&chunk)
                case .end: return try Self.accept(status, body)
                }
            }
            return try Self.accept(status, body)
        }
    }

    /// The body when the status is 200.
    private static func accept(_ status: HTTPResponseStatus?, _ body: ByteBuffer) throws -> String {
        guard let status else { throw Failure(description: "no response") }
        guard status == .ok else { throw Failure(description: "HTTP \(status.code)") }
        return String(buffer: body)
    }
}
