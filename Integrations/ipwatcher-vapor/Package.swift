// swift-tools-version: 6.1
import PackageDescription

// Vapor 4 middleware for ipwatcher's web tier. A package of its own, beside the daemon's, so that building the
// daemon never builds a web framework.
let package = Package(
    name: "ipwatcher-vapor",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "IPWatcherVapor", targets: ["IPWatcherVapor"]),
    ],
    dependencies: [
        .package(name: "ipwatcher", path: "../.."),
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // The middleware, the decision on the request, and running the guard beside the application.
        .target(
            name: "IPWatcherVapor",
            dependencies: [
                .product(name: "IPWatcherWeb", package: "ipwatcher"),
                .product(name: "Detection", package: "ipwatcher"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "IPWatcherVaporTests",
            dependencies: [
                "IPWatcherVapor",
                .product(name: "IPWatcherWeb", package: "ipwatcher"),
                .product(name: "IPWatcherTestSupport", package: "ipwatcher"),
                .product(name: "Detection", package: "ipwatcher"),
                .product(name: "RESP", package: "ipwatcher"),
                .product(name: "RedisClient", package: "ipwatcher"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
