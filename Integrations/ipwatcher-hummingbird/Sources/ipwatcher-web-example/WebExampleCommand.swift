import ArgumentParser
import Detection
import Foundation
import Hummingbird
import IPWatcherHummingbird
import IPWatcherWeb
import IPWatcherWebConfiguration
import Logging
import Metrics
import Prometheus
import RedisClient
import ServiceLifecycle

/// `ipwatcher-web-example`: a Hummingbird app whose `GET /` answers `ok`, behind ipwatcher's middleware.
///
/// The starting point of the README's *For the web tier*, the app the end-to-end tests drive over HTTP, and the
/// subject of the wrk measurement (`--naive` and `--plain` are its baselines).
@main
struct WebExampleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipwatcher-web-example",
        abstract: "A web app behind ipwatcher: GET / answers ok; blocked clients get 403.",
        discussion: """
            GET /healthz answers ok and GET /metrics shows the ipwatcher_web_* metrics in Prometheus text; both are \
            excluded from recording and checking. Configuration errors exit with status 78.
            """)

    @Option(help: "The port to listen on; 0 picks a free one (the listening line names it).")
    var port = 8080

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .customLong("redis-url"), help: "Redis URL; replaces the configuration's redis.url.")
    var redisURL: String?

    @Option(
        name: .customLong("trusted-proxy"),
        help: "A CIDR of a proxy whose X-Forwarded-For/Forwarded headers are believed (repeatable).")
    var trustedProxies: [String] = []

    @Option(help: "The worker's YAML configuration file (queue, blocklist, prefixes); without it, the defaults.")
    var config: String?

    @Option(name: .customLong("buffer-capacity"), help: "Addresses the recorder holds while Redis is away.")
    var bufferCapacity = 200_000

    @Flag(help: "Replace the middleware with the README's per-request LPUSH + SISMEMBER (a baseline).")
    var naive = false

    @Flag(help: "Serve without any middleware (a baseline).")
    var plain = false

    func validate() throws {
        if naive && plain { throw ValidationError("--naive and --plain exclude each other") }
        if !(0...65535).contains(port) { throw ValidationError("--port must be from 0 to 65535") }
    }

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "ipwatcher-web-example")
        logger.logLevel = .info
        let configuration: WebTierConfiguration
        do {
            configuration = try await webTierConfiguration()
        } catch {
            FileHandle.standardError.write(Data("ipwatcher-web-example: \(error)\n".utf8))
            throw ExitCode(78)
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        let mode: ExampleMode = naive ? .naive : plain ? .plain : .middleware
        let router = Router(context: IPWatcherBasicRequestContext.self)
        var services: [any Service] = []
        switch mode {
        case .middleware:
            // Warnings only: the listening line is the one line a healthy start prints.
            var guardLogger = logger
            guardLogger.logLevel = .warning
            let guardian = WebTierGuard(configuration: configuration, logger: guardLogger)
            router.add(middleware: IPWatcherMiddleware(guardian))
            services.append(guardian)
        case .naive:
            let client = RedisServerClient(
                endpoint: configuration.endpoint, configuration: configuration.mirror.connection, logger: logger)
            router.add(middleware: NaiveRecipeMiddleware(client: client, configuration: configuration, logger: logger))
            services.append(RedisClientService(client: client))
        case .plain:
            break
        }
        router.get("/") { _, _ in "ok" }
        router.get("/healthz") { _, _ in "ok" }
        router.get("/metrics") { _, _ in
            var text: [UInt8] = []
            registry.emit(into: &text)
            return String(decoding: text, as: UTF8.self)
        }

        var serverLogger = Logger(label: "hummingbird")
        serverLogger.logLevel = .warning
        let host = host
        let listeningLogger = logger
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port)), services: services,
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                listeningLogger.info("ipwatcher-web-example listening on http://\(host):\(port) (\(mode.rawValue))")
            },
            logger: serverLogger)
        try await app.runService()
    }

    /// The worker's configuration (file, `IPWATCHER_…` environment, `--redis-url`) plus this app's flags.
    private func webTierConfiguration() async throws -> WebTierConfiguration {
        var configuration = try await WebTierConfiguration.load(
            workerConfigurationFile: config, environment: ProcessInfo.processInfo.environment, redisURL: redisURL)
        configuration.trustedProxies = try trustedProxies.map { cidr in
            guard let network = IPNetwork(cidr) else {
                throw ValidationError("--trusted-proxy: \(cidr.debugDescription) is not an address or a CIDR")
            }
            return network
        }
        configuration.recorder.capacity = max(1, bufferCapacity)
        configuration.excludedPaths = ["/healthz", "/metrics"]
        return configuration
    }
}
