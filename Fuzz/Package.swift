// swift-tools-version: 6.1
// libFuzzer targets for ipwatcher's parsers. A package of its own so the root `swift build` and `swift test`
// never build them; `scripts/fuzz` builds them with `-sanitize=fuzzer,address` and runs them.
import PackageDescription

let package = Package(
    name: "ipwatcher-fuzz",
    dependencies: [
        .package(name: "ipwatcher", path: ".."),
        // The same requirement as the root package's, for ByteBuffer.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // What both targets share: the generator their data-derived choices come from.
        .target(name: "FuzzSupport"),
        // RESP replies from a server: whole and split parsing must agree, decoding must never trap.
        .executableTarget(
            name: "RESPParserFuzzer",
            dependencies: [
                "FuzzSupport",
                .product(name: "RESP", package: "ipwatcher"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            // libFuzzer supplies main(); the target only defines LLVMFuzzerTestOneInput.
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        // Queue entries from the web tier: accepted ones must yield keys inside the worker's prefix.
        .executableTarget(
            name: "QueueEntryParserFuzzer",
            dependencies: ["FuzzSupport", .product(name: "Detection", package: "ipwatcher")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ],
    swiftLanguageModes: [.v6]
)
