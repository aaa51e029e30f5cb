// swift-tools-version: 6.1
import PackageDescription

// Hummingbird 2 middleware for ipwatcher's web tier, and the example app. A package of its own, beside the daemon's,
// so that building the daemon never builds a web framework.
let package = Package(
    name: "ipwatcher-hummingbird",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "IPWatcherHummingbird", targets: ["IPWatcherHummingbird"]),
        .executable(name: "ipwatcher-web-example", targets: ["ipwatcher-web-example"]),
    ],
    dependencies: [
        .package(name: "ipwatcher", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // The middleware and the request context that carries its decision to handlers.
        .target(
            name: "IPWatcherHummingbird",
            dependencies: [
                .product(name: "IPWatcherWeb", package: "ipwatcher"),
                .product(name: "Detection", package: "ipwatcher"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // `GET /` answers `ok`, behind the middleware, the README's per-request recipe (--naive) or nothing (--plain).
        .executableTarget(
            name: "ipwatcher-web-example",
            dependencies: [
                "IPWatcherHummingbird",
                .product(name: "IPWatcherWeb", package: "ipwatcher"),
                .product(name: "IPWatcherWebConfiguration", package: "ipwatcher"),
                .product(name: "Detection", package: "ipwatcher"),
                .product(name: "RESP", package: "ipwatcher"),
                .product(name: "RedisClient", package: "ipwatcher"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "IPWatcherHummingbirdTests",
            dependencies: [
                "IPWatcherHummingbird",
                .product(name: "IPWatcherWeb", package: "ipwatcher"),
                .product(name: "IPWatcherTestSupport", package: "ipwatcher"),
                .product(name: "Detection", package: "ipwatcher"),
                .product(name: "RESP", package: "ipwatcher"),
                .product(name: "RedisClient", package: "ipwatcher"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
