import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// A small HTTP/1.1 server for two paths: `/metrics` (Prometheus text) and `/healthz`.
///
/// Plain SwiftNIO, no web framework: `GET` and `HEAD` on the two paths, 404 elsewhere, 405 for other methods,
/// keep-alive as the client asks. ``bind(listen:logger:port:limits:eventLoopGroup:metrics:health:)`` listens — before
/// the worker's services start, so a taken port ends the worker at once with one clear error rather than after
/// its other services began — and ``run()`` serves until graceful shutdown, then stops listening and closes
/// every connection.
///
/// ``MetricsConnectionLimits`` bound what clients can hold: connections (at the cap the oldest one not being
/// answered is closed), time per request, idle keep-alive time and request size.
///
/// The two handlers are plain closures, so the server knows nothing of the worker; ``MetricsCollector`` supplies
/// them.
public struct MetricsServer: Service {
    /// One accepted connection, as the async channel API presents it.
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// The address listened on, with the port the system chose when port 0 was asked for.
    public let address: MetricsListenAddress
    let logger: Logger
    let port: ListeningPort?
    let metricsText: @Sendable () -> String
    let healthProblem: @Sendable () -> String?
    private let server: NIOAsyncChannel<Connection, Never>

    /// Listens on `listen` and returns the server, which accepts connections once ``run()`` runs.
    ///
    /// - Parameters:
    ///   - listen: Where to listen; port 0 takes any free port, reported through `port` and the log.
    ///   - port: Receives the bound port while the server runs, for callers that asked for port 0.
    ///   - limits: Connections, timeouts and request size the server allows.
    ///   - metrics: The `/metrics` body, computed per request.
    ///   - health: Nil when healthy (`/healthz` answers 200 `ok`), else the one-line reason for a 503.
    /// - Throws: ``MetricsServerError`` when the address cannot be bound or resolved.
    public static func bind(
        listen: MetricsListenAddress, logger: Logger, port: ListeningPort? = nil,
        limits: MetricsConnectionLimits = .productDefault,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        metrics: @escaping @Sendable () -> String, health: @escaping @Sendable () -> String?
    ) async throws(MetricsServerError) -> MetricsServer {
        let server: NIOAsyncChannel<Connection, Never>
        let registry = MetricsConnectionRegistry(limits: limits)
        do {
            server = try await ServerBootstrap(group: eventLoopGroup)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                // NIO's 128 overflows under a flood, and a scrape whose SYN is dropped waits a second to resend it.
                .serverChannelOption(.backlog, value: 1024)
                .bind(host: listen.host, port: listen.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try configure(channel, limits: limits, registry: registry, logger: logger)
                    }
                }
        } catch {
            throw MetricsServerError(address: listen, underlying: error)
        }
        let address = listen.withPort(server.channel.localAddress?.port ?? listen.port)
        logger.notice("metrics on http://\(address)/metrics")
        return MetricsServer(
            address: address, logger: logger, port: port, metricsText: metrics, healthProblem: health, server: server)
    }

    private init(
        address: MetricsListenAddress, logger: Logger, port: ListeningPort?, metricsText: @escaping @Sendable () -> String,
        healthProblem: @escaping @Sendable () -> String?, server: NIOAsyncChannel<Connection, Never>
    ) {
        self.address = address
        self.logger = logger
        self.port = port
        self.metricsText = metricsText
        self.healthProblem = healthProblem
        self.server = server
    }

    public func run() async throws {
        port?.set(address.port)
        defer { port?.set(nil) }
        let server = self.server
        // Cancelling on graceful shutdown ends the accept loop and every connection's read loop; closing the
        // channels is then up to executeThenClose.
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                do {
                    try await server.executeThenClose { connections in
                        for try await connection in connections {
                            group.addTask { await serve(connection) }
                        }
                    }
                } catch {
                    logger.debug("metrics server stopped accepting", metadata: ["error": "\(error)"])
                }
            }
        }
        logger.info("metrics server closed")
    }

    /// Answers the requests of one connection until the client closes it, asks to close, or shutdown begins.
    private func serve(_ connection: Connection) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var request: HTTPRequestHead?
                for try await part in inbound {
                    switch part {
                    case .head(let head):
                        request = head
                    case .body:
                        // No path takes a body; it is read and dropped.
                        continue
                    case .end:
                        guard let head = request else { continue }
                        request = nil
                        let response = respond(to: head)
                        try await outbound.write(contentsOf: response.parts(for: head))
                        if !head.isKeepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("metrics connection ended", metadata: ["error": "\(error)"])
        }
    }
}
