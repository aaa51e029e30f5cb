import Logging
import NIOCore
import NIOHTTP1

extension MetricsServer {
    /// Admits a new connection under the cap, closing the ones it displaces, and sets up its pipeline: the
    /// HTTP codec between a byte counter and a phase tracker that enforce ``MetricsConnectionLimits``, then the
    /// handler that answers.
    static func configure(
        _ channel: any Channel, limits: MetricsConnectionLimits, registry: MetricsConnectionRegistry,
        routes: MetricsRoutes, logger: Logger
    ) throws {
        let (id, evicted) = registry.admit(channel)
        if !evicted.isEmpty {
            // Debug only: during a flood this happens for every connection.
            logger.debug(
                "metrics connection cap reached; closing the oldest waiting connection",
                metadata: ["max_connections": "\(registry.maxConnections)", "closed": "\(evicted.count)"])
            for channel in evicted { channel.close(promise: nil) }
        }
        channel.closeFuture.whenComplete { _ in registry.remove(id) }
        let connectionGuard = MetricsConnectionGuard(channel: channel, limits: limits, registry: registry, id: id)
        let pipeline = channel.pipeline.syncOperations
        try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
        try pipeline.addHandler(MetricsRequestBytesHandler(connectionGuard), position: .first)
        try pipeline.addHandler(MetricsRequestPhaseHandler(connectionGuard))
        try pipeline.addHandler(MetricsRequestHandler(routes: routes))
    }
}
