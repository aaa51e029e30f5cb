// swift-tools-version: 6.1
// The allocation-count tests, which mean something only in an optimised build. A package of its own so that
// `make alloc-check` builds in release only the libraries these tests call, not the root package's every test
// target, tool and benchmark; the root `swift build` and `swift test` never build it.
import PackageDescription

let package = Package(
    name: "ipwatcher-allocation-check",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "ipwatcher", path: ".."),
        // The same requirements as the root package's, for ByteBuffer and Logger.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // Counts the calling thread's heap allocations by interposing malloc, calloc and realloc; linked only
        // into this package's test executable, so no other binary runs on the interposed allocator.
        .target(name: "CMallocCounter"),
        // The hot path (worker and web tier) and the block event's JSON, counted in allocations.
        .testTarget(
            name: "AllocationTests",
            dependencies: [
                "CMallocCounter",
                .product(name: "Detection", package: "ipwatcher"),
                .product(name: "IPWatcherDaemon", package: "ipwatcher"),
                .product(name: "IPWatcherWeb", package: "ipwatcher"),
                .product(name: "RESP", package: "ipwatcher"),
                .product(name: "RedisClient", package: "ipwatcher"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
