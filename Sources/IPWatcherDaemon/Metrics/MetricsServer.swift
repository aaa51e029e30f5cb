import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// A small HTTP/1.1 server for two paths: `/metrics` (Prometheus text) and `/healthz`.
///
/// Plain SwiftNIO, no web framework: `GET` and `HEAD` on the two paths, 404 elsewhere, 405 for other methods,
/// keep-alive as the client asks. ``bind(listen:logger:port:limits:eventLoopGroup:metrics:health:)`` listens —
/// before the worker's services start, so a taken port ends the worker at once with one clear error rather than
/// after its other services began — and ``run()`` serves until graceful shutdown, then stops listening and
/// closes every connection.
///
/// ``MetricsConnectionLimits`` bound what clients can hold: connections (at the cap the oldest one not being
/// answered is closed), time per request, idle keep-alive time and request size. Requests are answered on the
/// connection's event loop by ``MetricsRequestHandler``, with no task per connection, so that a flood of
/// connections costs the server as little as possible per connection.
///
/// The two handlers are plain closures, so the server knows nothing of the worker; ``MetricsCollector`` supplies
/// them.
public struct MetricsServer: Service {
    /// The address listened on, with the port the system chose when port 0 was asked for.
    public let address: MetricsListenAddress
    let logger: Logger
    let port: ListeningPort?
    private let server: any Channel
    private let registry: MetricsConnectionRegistry

    /// Listens on `listen` and returns the server, which answers requests from then on; ``run()`` ends it.
    ///
    /// - Parameters:
    ///   - listen: Where to listen; port 0 takes any free port, reported through `port` and the log.
    ///   - port: Receives the bound port while the server runs, for callers that asked for port 0.
    ///   - limits: Connections, timeouts and request size the server allows.
    ///   - metrics: The `/metrics` body, computed per request on the connection's event loop.
    ///   - health: Nil when healthy (`/healthz` answers 200 `ok`), else the one-line reason for a 503.
    /// - Throws: ``MetricsServerError`` when the address cannot be bound or resolved.
    public static func bind(
        listen: MetricsListenAddress, logger: Logger, port: ListeningPort? = nil,
        limits: MetricsConnectionLimits = .productDefault,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        metrics: @escaping @Sendable () -> String, health: @escaping @Sendable () -> String?
    ) async throws(MetricsServerError) -> MetricsServer {
        let server: any Channel
        let registry = MetricsConnectionRegistry(limits: limits)
        let routes = MetricsRoutes(metricsText: metrics, healthProblem: health)
        do {
            server = try await ServerBootstrap(group: eventLoopGroup)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                // NIO's 128 overflows under a flood, and a scrape whose SYN is dropped waits a second to resend it.
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            MetricsAcceptBackoffHandler(pause: .milliseconds(100), logger: logger))
                    }
                }
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try configure(channel, limits: limits, registry: registry, routes: routes, logger: logger)
                    }
                }
                .bind(host: listen.host, port: listen.port).get()
        } catch {
            throw MetricsServerError(address: listen, underlying: error)
        }
        let address = listen.withPort(server.localAddress?.port ?? listen.port)
        logger.notice("metrics on http://\(address)/metrics")
        return MetricsServer(address: address, logger: logger, port: port, server: server, registry: registry)
    }

    public func run() async throws {
        port?.set(address.port)
        defer { port?.set(nil) }
        // Requests are answered from bind on; this only waits for the end (graceful shutdown or cancellation).
        try? await gracefulShutdown()
        try? await server.close()
        for connection in registry.removeAll() {
            try? await connection.close()
        }
        logger.info("metrics server closed")
    }
}
