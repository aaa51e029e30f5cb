// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "ipwatcher",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ipwatcher", targets: ["ipwatcher"]),
        .library(name: "RESP", targets: ["RESP"]),
        .library(name: "RedisClient", targets: ["RedisClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
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
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Starts and stops a private redis-server (tests, benchmarks, demo).
        .target(
            name: "LocalRedis",
            dependencies: []
        ),
        .executableTarget(
            name: "ipwatcher",
            dependencies: [
                "RESP",
                "RedisClient",
                "LocalRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RESPTests",
            dependencies: ["RESP", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "RedisClientTests",
            dependencies: [
                "RESP",
                "RedisClient",
                "LocalRedis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
