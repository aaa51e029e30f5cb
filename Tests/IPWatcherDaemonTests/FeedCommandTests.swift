import Foundation
import IPWatcherTestSupport
import LocalRedis
import Testing

/// `ipwatcher feed`, the built executable, against a private redis-server: it pushes exactly what it reports, and
/// the same seed pushes the same traffic.
@Suite("ipwatcher feed", .needsRedisServer, .timeLimit(.minutes(3)))
struct FeedCommandTests {
    /// The parts of `feed --json` this test reads.
    struct Summary: Decodable {
        struct Feed: Decodable {
            struct Kind: Decodable {
                var requests: Int
                var units: Int
            }

            var sent: Int
            var queue: String
            var seed: Int
            var kinds: [String: Kind]
        }

        var feed: Feed
    }

    /// Runs `ipwatcher feed` against `server` with `arguments`; returns its JSON summary.
    private static func feed(
        _ arguments: [String], to server: LocalRedisServer, in scratch: ScratchDirectory
    ) async throws -> Summary {
        let result = try await runIPWatcher(
            ["feed", "--redis-url", server.url, "--json"] + arguments, in: scratch, within: .seconds(60))
        #expect(result.outcome.status == 0, "stderr:\n\(result.stderr.suffix(20).joined(separator: "\n"))")
        return try JSONDecoder().decode(Summary.self, from: Data(result.stdout.utf8))
    }

    @Test("feed --count pushes that many entries, as many as its summary counts per kind, and a seed replays them")
    func feedPushesWhatItReports() async throws {
        try await withRedisServer(.unixSocketOnly, deadline: .seconds(120)) { server in
            try await withScratchDirectory { scratch in
                let first = try await Self.feed(["--count", "3000", "--queue", "first", "--seed", "7"], to: server, in: scratch)
                let again = try await Self.feed(["--count", "3000", "--queue", "again", "--seed", "7"], to: server, in: scratch)
                let other = try await Self.feed(["--count", "3000", "--queue", "other", "--seed", "8"], to: server, in: scratch)
                #expect(first.feed.sent == 3000 && first.feed.queue == "first" && first.feed.seed == 7)
                #expect(first.feed.kinds.values.map(\.requests).reduce(0, +) == 3000, "\(first.feed.kinds)")
                #expect(first.feed.kinds["bot", default: .init(requests: 0, units: 0)].units > 0, "mixed has bots")

                try await withConnection(server.url) { redis in
                    let firstEntries = try await redis.listContents("first")
                    #expect(firstEntries.count == 3000)
                    #expect(try await redis.listContents("again") == firstEntries, "the same seed pushes the same list")
                    #expect(try await redis.listContents("other") != firstEntries, "another seed pushes another list")
                    #expect(other.feed.sent == 3000 && again.feed.sent == 3000)
                }
            }
        }
    }
}
