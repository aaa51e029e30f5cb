import IPWatcherTestSupport
import RedisClient
import Testing

// The known traffic of the bad-network tests and what must hold after it. This file declares no suite.

/// Three bots over the threshold (30 hits each) and twenty users under it (3 each): 150 entries, shuffled.
enum FaultTraffic {
    static let bots = ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
    static let users = (1...20).map { "203.0.113.\($0)" }

    /// What each unit must be counted: every entry once.
    static var expected: [String: Int] {
        var counts: [String: Int] = [:]
        for bot in bots { counts[bot] = 30 }
        for user in users { counts[user] = 3 }
        return counts
    }

    /// Every entry, shuffled, so bots and users share batches.
    static func entries() -> [String] {
        expected.flatMap { Array(repeating: $0.key, count: $0.value) }.shuffled()
    }

    /// How many entries ``entries()`` has.
    static var count: Int { expected.values.reduce(0, +) }
}

extension WorkerRun {
    /// Checks what a bad network must not change once the worker has handled all of ``FaultTraffic``: each entry
    /// counted exactly once (the worker never died, so at-least-once delivery owes no repeat), its batches
    /// released, the three bots on the blocklist and each announced exactly once on the events channel.
    func expectEveryEntryCountedOnceAndEachBotBlockedOnce(
        events subscriber: ChannelSubscriber, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await waitUntilHandled(FaultTraffic.count, within: .seconds(60))
        try await waitUntilBatchesReleased(within: .seconds(30))
        #expect(totals.counted == FaultTraffic.count, "\(totals)", sourceLocation: sourceLocation)
        #expect(try await redis.countsPerUnit() == FaultTraffic.expected, sourceLocation: sourceLocation)
        let members = try await redis.send("SMEMBERS", "blocklist").array.map { Array($0).compactMap(\.string) } ?? []
        #expect(Set(members) == Set(FaultTraffic.bots), sourceLocation: sourceLocation)

        var announced: [String: Int] = [:]
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(10))
        while Set(announced.keys) != Set(FaultTraffic.bots), clock.now < deadline {
            guard let message = try await subscriber.nextMessage(within: clock.now.duration(to: deadline)) else { break }
            announced[try PublishedEvent(json: message).unit ?? "?", default: 0] += 1
        }
        for message in try await subscriber.messages(during: .milliseconds(500)) {
            announced[try PublishedEvent(json: message).unit ?? "?", default: 0] += 1
        }
        #expect(announced == Dictionary(uniqueKeysWithValues: FaultTraffic.bots.map { ($0, 1) }),
            "block events per unit", sourceLocation: sourceLocation)
    }
}

/// Waits until `/healthz` on `port` answers `status` (polled every 100 ms); throws when it does not within `limit`.
func waitUntilHealth(_ status: Int, port: Int, within limit: Duration) async throws {
    try await waitUntil("/healthz answers \(status)", within: limit, every: .milliseconds(100)) {
        try await HTTPTestClient.send("/healthz", port: port).status == status
    }
}
