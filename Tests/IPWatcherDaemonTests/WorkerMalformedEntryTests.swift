import Detection
import IPWatcherDaemon
import IPWatcherTestSupport
import RedisClient
import Testing

/// Bad queue entries are refused one by one, counted per reason and optionally kept in a capped dead-letter list,
/// without holding up the valid entries of the same batch.
@Suite("Worker: malformed queue entries", .needsRedisServer, .timeLimit(.minutes(10)))
struct WorkerMalformedEntryTests {
    /// Refused entries and the reason each must be counted under; `now` is the worker's clock, near enough.
    static func badEntries(now: Int64) -> [(entry: String, reason: EntryRejection)] {
        [
            ("garbage", .notAnAddress),
            ("", .empty),
            ("192.0.2.1\nSET pwned 1", .controlCharacter),
            ("192.0.2.1\u{7F}", .controlCharacter),
            (String(repeating: "9", count: 300), .tooLong),
            ("192.0.2.1 12ab", .badTimestamp),
            ("192.0.2.1 ", .badTimestamp),
            ("192.0.2.1  \(now)", .badTimestamp),
            ("192.0.2.1 \(now + 60_000)", .future),
            ("192.0.2.1é", .notAnAddress),
            ("256.1.1.1", .notAnAddress),
            (" 192.0.2.1", .notAnAddress),
            ("192.0.2.1:8080", .notAnAddress),
        ]
    }

    /// 15 hits of 192.0.2.1 and 5 hits of other units, all valid and current.
    static func validEntries(now: Int64) -> [String] {
        hits("192.0.2.1", 13) + ["192.0.2.1 \(now)", "192.0.2.1 \(now - 1000)"]
            + ["192.0.2.2", "2001:db8::5", "::ffff:192.0.2.3", "198.51.100.1 \(now)", "198.51.100.1 \(now + 2000)"]
    }

    /// Valid and bad entries alternating, plus one stale entry, as one list of entries for one push.
    static func mixed(valid: [String], bad: [String], stale: [String]) -> [String] {
        var result: [String] = []
        for index in 0..<max(valid.count, bad.count) {
            if index < valid.count { result.append(valid[index]) }
            if index < bad.count { result.append(bad[index]) }
        }
        return result + stale
    }

    @Test("bad entries are counted per reason while the valid ones of the same batch are all counted")
    func badEntriesAreRefusedWithoutHarmingTheBatch() async throws {
        var settings = WorkerSettings.forTests
        settings.rejectedKey = "ipwatcher:rejected"
        try await withWorker(settings) { run in
            // The 15 hits carry times up to a second apart and the worker stamps the others itself: keep them
            // all inside one 60 s fixed window by not starting within 3 s of a window boundary.
            let position = nowMilliseconds() % 60_000
            if position < 3_000 || position > 57_000 {
                try await Task.sleep(for: .milliseconds((63_000 - position) % 60_000 + 100))
            }
            let now = nowMilliseconds()
            let bad = Self.badEntries(now: now)
            let valid = Self.validEntries(now: now)
            let stale = ["192.0.2.1 \(now - 120_000)"]
            let entries = Self.mixed(valid: valid, bad: bad.map(\.entry), stale: stale)
            try await run.redis.push(entries)
            let totals = try await run.waitUntilHandled(entries.count)

            var expected: [EntryRejection: Int] = [:]
            for (_, reason) in bad { expected[reason, default: 0] += 1 }
            #expect(totals.popped == entries.count)
            #expect(totals.counted == valid.count)
            #expect(totals.rejected == expected)
            #expect(totals.stale == 1)
            #expect(totals.batches == 1, "everything was pushed at once and must be one batch")
            // The valid hits in the same batch still block their unit.
            #expect(try await run.redis.members(of: "blocklist") == ["192.0.2.1"])
            // The dead-letter list holds exactly the refused entries, byte for byte except that the pop script cut
            // the too-long one to 257 bytes; stale ones are not refused.
            try await waitUntil("the dead-letter list holds \(bad.count) entries") {
                try await run.redis.send("LLEN", "ipwatcher:rejected").int == Int64(bad.count)
            }
            var kept: [String] = []
            for (entry, _) in bad { kept.append(String(entry.prefix(QueueEntryParser.maximumLength + 1))) }
            let deadLetters = try await run.redis.listContents("ipwatcher:rejected")
            #expect(deadLetters.sorted() == kept.sorted())
        }
    }

    @Test("the dead-letter list is capped at rejectedMax, keeping the newest")
    func deadLetterListIsCapped() async throws {
        var settings = WorkerSettings.forTests
        settings.rejectedKey = "ipwatcher:rejected"
        settings.rejectedMax = 3
        try await withWorker(settings) { run in
            let first = (1...8).map { "bad-\($0)" }
            try await run.redis.push(first)
            try await run.waitForTotals("8 refusals") { $0.rejectedTotal == 8 }
            try await waitUntil("the dead-letter list is trimmed to 3") {
                try await run.redis.send("LLEN", "ipwatcher:rejected").int == 3
            }
            let kept = try await run.redis.listContents("ipwatcher:rejected")
            #expect(Set(kept).isSubset(of: Set(first)))

            let second = (1...4).map { "worse-\($0)" }
            try await run.redis.push(second)
            try await run.waitForTotals("12 refusals") { $0.rejectedTotal == 12 }
            try await waitUntil("the newest refusals are kept") {
                let contents = try await run.redis.listContents("ipwatcher:rejected")
                return contents.count == 3 && Set(contents).isSubset(of: Set(second))
            }
            #expect(run.totals.rejected == [.notAnAddress: 12])
        }
    }

    @Test("without a dead-letter key, refused entries leave nothing behind in Redis")
    func withoutDeadLetterKeyNothingIsKept() async throws {
        try await withWorker(.forTests) { run in
            try await run.redis.push(["garbage", "", "1.2.3.4 x"])
            try await run.waitForTotals("3 refusals") { $0.rejectedTotal == 3 && $0.batches == 1 }
            try await run.waitUntilBatchesReleased()
            #expect(try await run.redis.allKeys() == [])
        }
    }
}
