extension IPWatcherConfiguration {
    /// The `metrics` section: the Prometheus endpoint (`/metrics`, `/healthz`).
    public struct Metrics: Sendable, Hashable {
        /// Where the endpoint listens; nil serves nothing (`listen: ""`).
        public var listen: MetricsListenAddress?
        /// Most connections the endpoint keeps open (`metrics.max_connections`); see ``MetricsConnectionLimits``.
        public var maxConnections: Int

        /// Creates the section; the endpoint defaults to `127.0.0.1:9464` with at most 64 connections.
        public init(
            listen: MetricsListenAddress? = .productDefault,
            maxConnections: Int = MetricsConnectionLimits.productDefault.maxConnections
        ) {
            self.listen = listen
            self.maxConnections = maxConnections
        }
    }

    /// The range `metrics.max_connections` takes: one connection up to far more than any scraper needs, and
    /// well under the descriptors the worker raises its limit to.
    static let metricsMaxConnectionsRange = 1...4096

    /// The `metrics` section, read apart from the others so that adding it touched nothing shared.
    static func readMetrics(_ values: ConfigurationValueReader) throws(ConfigurationError) -> Metrics {
        var metrics = Metrics()
        metrics.maxConnections = try values.integer(
            "metrics.max_connections", default: metrics.maxConnections,
            minimum: metricsMaxConnectionsRange.lowerBound, maximum: metricsMaxConnectionsRange.upperBound)
        let key = "metrics.listen"
        guard let raw = try values.text(key) else { return metrics }
        let text = ConfigurationValueReader.trimmed(raw)
        if text.isEmpty {
            metrics.listen = nil
            return metrics
        }
        if let problem = MetricsListenAddress.problem(with: text) {
            throw ConfigurationError.invalid(key, raw, problem)
        }
        metrics.listen = MetricsListenAddress(text)
        return metrics
    }
}
