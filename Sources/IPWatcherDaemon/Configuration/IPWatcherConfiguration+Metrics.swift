extension IPWatcherConfiguration {
    /// The `metrics` section: the Prometheus endpoint (`/metrics`, `/healthz`).
    public struct Metrics: Sendable, Hashable {
        /// Where the endpoint listens; nil serves nothing (`listen: ""`).
        public var listen: MetricsListenAddress?

        /// Creates the section; the endpoint defaults to `127.0.0.1:9464`.
        public init(listen: MetricsListenAddress? = .productDefault) {
            self.listen = listen
        }
    }

    /// The `metrics` section, read apart from the others so that adding it touched nothing shared.
    static func readMetrics(_ values: ConfigurationValueReader) throws(ConfigurationError) -> Metrics {
        let key = "metrics.listen"
        guard let raw = try values.text(key) else { return Metrics() }
        let text = ConfigurationValueReader.trimmed(raw)
        if text.isEmpty { return Metrics(listen: nil) }
        if let problem = MetricsListenAddress.problem(with: text) {
            throw ConfigurationError.invalid(key, raw, problem)
        }
        return Metrics(listen: MetricsListenAddress(text))
    }
}
