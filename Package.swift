// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "ipwatcher",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ipwatcher", targets: ["ipwatcher"]),
        .library(name: "RESP", targets: ["RESP"]),
        .library(name: "RedisClient", targets: ["RedisClient"]),
        .library(name: "Detection", targets: ["Detection"]),
        .library(name: "IPWatcherWeb", targets: ["IPWatcherWeb"]),
        // The web tier's settings read from the worker's YAML file by the worker's own loader.
        .library(name: "IPWatcherWebConfiguration", targets: ["IPWatcherWebConfiguration"]),
        // The test fixtures (a private redis-server, child processes, an HTTP client), for the integration
        // packages' tests under Integrations/; not for apps.
        .library(name: "IPWatcherTestSupport", targets: ["IPWatcherTestSupport"]),
        // The worker's library, for the allocation check under AllocationCheck/, which counts the hot path's
        // allocations in a release build of only what it needs; not for apps.
        .library(name: "IPWatcherDaemon", targets: ["IPWatcherDaemon"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: ["YAML"]),
        // Already a dependency of swift-configuration; named here because the configuration layer parses the
        // YAML file a second time to reject unknown keys, which swift-configuration cannot enumerate.
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // Metrics instruments (swift-metrics) rendered as Prometheus text (swift-prometheus) on metrics.listen.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // Protocol only: RESP2/RESP3 reply parsing and command encoding. No I/O.
        .target(
            name: "RESP",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        // Connections, pipelining, transactions, blocking commands, timeouts, reconnect.
        .target(
            name: "RedisClient",
            dependencies: [
                "RESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Starts and stops a private redis-server or cluster (tests, benchmarks, demo).
        .target(
            name: "LocalRedis",
            dependencies: []
        ),
        // What the test targets share: redis-server and cluster fixtures with one CI rule, deadlines and pollers,
        // the load gate and its traits, test certificates, free ports, the queries of the shipped alerts and
        // dashboard. Used by test targets only; not a product.
        .target(
            name: "IPWatcherTestSupport",
            dependencies: [
                "LocalRedis", "RESP", "RedisClient", "Detection", "IPWatcherWeb",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // Reads deploy/prometheus's rules and their unit tests for the monitoring tests.
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Detection core: addresses, canonical units, queue entries, windows, rules, key names. Pure Swift.
        .target(name: "Detection"),
        // For the web tier, in any Swift server and without a web framework: the client's address behind
        // trusted proxies, the blocklist mirror, the batching recorder, and the guard that combines them.
        .target(
            name: "IPWatcherWeb",
            dependencies: [
                "Detection", "RESP", "RedisClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // The web tier's configuration from the worker's file: IPWatcherWeb's settings, IPWatcherDaemon's loader.
        .target(
            name: "IPWatcherWebConfiguration",
            dependencies: ["IPWatcherWeb", "IPWatcherDaemon", "Detection", "RedisClient"]
        ),
        // Synthetic traffic with ground truth: scenario generators, the fast LPUSH feeder, detection reports.
        .target(
            name: "Traffic",
            dependencies: [
                "RESP",
                "RedisClient",
                "Detection",
                // Its QueueEntryWriter: the feeder writes entries exactly as the web tier's recorder does.
                "IPWatcherWeb",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // libsystemd's sd_notify, from Debian's libsystemd-dev.
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // READY/STATUS/WATCHDOG/STOPPING/RELOADING notifications to systemd.
        .target(name: "SystemdNotify", dependencies: ["CSystemd"]),
        // The worker: configuration, consumer pipeline, blocklist writer, wired as services.
        .target(
            name: "IPWatcherDaemon",
            dependencies: [
                "RESP",
                "RedisClient",
                "Detection",
                "SystemdNotify",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Writes the commit being built (read from .git's files, no git process) for `ipwatcher --version`.
        .executableTarget(name: "CommitStamp"),
        .plugin(name: "CommitStampPlugin", capability: .buildTool(), dependencies: ["CommitStamp"]),
        // What `ipwatcher bench` and `ipwatcher demo` run: the worker and client benchmarks and the demo, as a
        // library the commands call and tests run in-process. Never linked by the daemon's own targets.
        .target(
            name: "Benchmark",
            dependencies: [
                "RESP",
                "RedisClient",
                "LocalRedis",
                "Detection",
                "IPWatcherDaemon",
                "Traffic",
                "SystemdNotify",
                "IPWatcherWeb",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What `ipwatcher demo` runs: workers and a synthetic feed against a given Redis, reported as it goes.
        .target(
            name: "Demo",
            dependencies: [
                "RESP",
                "RedisClient",
                "IPWatcherDaemon",
                "Traffic",
                "SystemdNotify",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "ipwatcher",
            dependencies: [
                "Benchmark",
                "Demo",
                "RESP",
                "RedisClient",
                "LocalRedis",
                "Detection",
                "IPWatcherDaemon",
                "Traffic",
                "SystemdNotify",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            plugins: ["CommitStampPlugin"]
        ),
        .testTarget(
            name: "RESPTests",
            // Traffic for its SplitMix64, the package's one seeded generator.
            dependencies: ["RESP", "Traffic", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Traffic for its SplitMix64, the package's one seeded generator.
        .testTarget(name: "DetectionTests", dependencies: ["Detection", "Traffic"]),
        .testTarget(
            name: "IPWatcherWebTests",
            // IPWatcherDaemon for BlocklistStore, which makes the manual changes the mirror must follow.
            dependencies: [
                "IPWatcherWeb", "IPWatcherWebConfiguration", "Detection", "RESP", "RedisClient", "IPWatcherTestSupport",
                "IPWatcherDaemon", "LocalRedis",
                .product(name: "NIOCore", package: "swift-nio"),
                // The graceful-shutdown test runs the guard in a ServiceGroup.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TrafficTests",
            dependencies: [
                "Traffic", "Detection", "RESP", "RedisClient", "LocalRedis", "IPWatcherDaemon", "SystemdNotify",
                "IPWatcherTestSupport", "IPWatcherWeb",
                // The in-process worker takes a Logger.
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "SystemdNotifyTests", dependencies: ["SystemdNotify"]),
        // Checks deploy/ with systemd's own tools.
        .testTarget(name: "DeploymentTests", dependencies: ["LocalRedis", "IPWatcherTestSupport"]),
        .testTarget(
            name: "IPWatcherDaemonTests",
            dependencies: [
                "Benchmark", "Demo",
                "IPWatcherDaemon", "Detection", "RESP", "RedisClient", "LocalRedis", "SystemdNotify",
                "IPWatcherTestSupport", "Traffic", "IPWatcherWeb",
                .product(name: "Logging", package: "swift-log"),
                // The metrics tests scrape the endpoint with a small HTTP client of their own.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
            ]
        ),
        .testTarget(
            name: "RedisClientTests",
            dependencies: [
                "RESP",
                "RedisClient",
                "LocalRedis",
                "IPWatcherTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
