import Detection
import Foundation
import IPWatcherDaemon
import IPWatcherTestSupport
import RedisClient
import Testing

/// Escalating bans against a real redis-server: the n-th ban lasts base × factor^(n−1) up to the cap, the
/// offence count lives in Redis, the spread stays within its bounds, and the ban's details are recorded and
/// removed with it.
@Suite("Worker: escalating bans", .needsRedisServer, .timeLimit(.minutes(10)))
struct WorkerEscalationTests {
    static func settings(banSeconds: Int, escalation: BanEscalation) -> WorkerSettings {
        var settings = WorkerSettings.forTests
        settings.detection = DetectionSettings(
            rules: [DetectionRule(name: "minute", threshold: 3, windowSeconds: 3600)], banSeconds: banSeconds,
            escalation: escalation)
        return settings
    }

    @Test("three offences: 1 s, then 2 s, then 4 s capped at 3 s; each event names its offence; details follow the ban")
    func threeOffencesEscalate() async throws {
        let escalation = BanEscalation(factor: 2, maxSeconds: 3, memorySeconds: 60, jitter: 0)
        try await withWorker(Self.settings(banSeconds: 1, escalation: escalation)) { run in
            let subscriber = try await ChannelSubscriber(port: try #require(run.server.port), channel: "ipwatcher:events")
            let unit = "198.51.100.50"
            // One event time for every hit: one hour window however long the test takes.
            let stamp = nowMilliseconds()
            try await run.redis.push(hits("\(unit) \(stamp)", 3))
            var lengths: [Int64] = []
            for offence in 1...3 {
                var block: PublishedEvent?
                while block == nil {
                    let message = try #require(
                        try await subscriber.nextMessage(within: .seconds(10)), "no event for offence \(offence)")
                    let event = try PublishedEvent(json: message)
                    if event.event == "block" { block = event }
                }
                let event = try #require(block)
                #expect(event.offence == Int64(offence) && event.rule == "minute")
                let expiresAt = try #require(event.expiresAt)
                lengths.append(expiresAt - (try #require(event.at)))
                let details = try #require(try await run.redis.send("HGET", "ipwatcher:bans:info", unit).string)
                let object = try #require(try JSONSerialization.jsonObject(with: Data(details.utf8)) as? [String: Any])
                #expect(object["rule"] as? String == "minute" && (object["offence"] as? NSNumber)?.intValue == offence)
                #expect((object["since"] as? NSNumber)?.int64Value == event.at)
                let offences = try await run.redis.send("GET", "ipwatcher:offences:\(unit)").string
                #expect(offences == "\(offence)")
                let forgetAt = try #require(try await run.redis.send("PEXPIRETIME", "ipwatcher:offences:\(unit)").int)
                #expect(Int64(forgetAt) == expiresAt + 60_000, "remembered for the memory after the ban ends")
                // The ban ends by itself; the unit, still over the threshold, offends again with one more hit.
                try await waitUntil("ban \(offence) ends", within: .seconds(10)) {
                    try await !run.redis.isMember(unit, of: "blocklist")
                }
                #expect(try await run.redis.send("HEXISTS", "ipwatcher:bans:info", unit).int == 0, "details go with the ban")
                if offence < 3 { try await run.redis.push(["\(unit) \(stamp)"]) }
            }
            #expect(lengths == [1000, 2000, 3000])
            // The Swift reading of the formula, which the feed's ground truth uses, says what the script did.
            #expect(lengths == (1...3).map { Int64(escalation.lengthMilliseconds(baseMilliseconds: 1000, offence: $0)) })
        }
    }

    @Test("escalation off: no offence is counted, the event says offence null; the spread keeps bans within ± jitter")
    func spreadWithoutEscalation() async throws {
        let escalation = BanEscalation(factor: 1, jitter: 0.5)
        try await withWorker(Self.settings(banSeconds: 100, escalation: escalation)) { run in
            let subscriber = try await ChannelSubscriber(port: try #require(run.server.port), channel: "ipwatcher:events")
            let units = (1...20).map { "198.51.100.\($0 + 100)" }
            let stamp = nowMilliseconds()
            try await run.redis.push(units.flatMap { hits("\($0) \(stamp)", 3) })
            var lengths: Set<Int64> = []
            for _ in units {
                let message = try #require(try await subscriber.nextMessage(within: .seconds(5)), "missing block event")
                let event = try PublishedEvent(json: message)
                #expect(event.offence == nil && event.fields["offence"] is NSNull, "\(message)")
                let length = try #require(event.expiresAt) - (try #require(event.at))
                #expect((50_000...150_000).contains(length), "\(length) ms is outside 100 s ± 50 %")
                lengths.insert(length)
            }
            #expect(lengths.count > 1, "every ban drew the same spread")
            #expect(try await run.redis.allKeys(matching: "ipwatcher:offences:*").isEmpty)
            #expect(try await run.redis.send("HLEN", "ipwatcher:bans:info").int == 20)
        }
    }

    @Test("a permanent ban stays permanent however often the unit offended")
    func permanentStaysPermanent() async throws {
        let escalation = BanEscalation(factor: 3, maxSeconds: 10, memorySeconds: 60)
        try await withWorker(Self.settings(banSeconds: 0, escalation: escalation)) { run in
            let subscriber = try await ChannelSubscriber(port: try #require(run.server.port), channel: "ipwatcher:events")
            _ = try await run.redis.send("SET", "ipwatcher:offences:198.51.100.60", "4").throwingServerError()
            try await run.redis.push(hits("198.51.100.60 \(nowMilliseconds())", 3))
            let message = try #require(try await subscriber.nextMessage(within: .seconds(5)), "no block event")
            let event = try PublishedEvent(json: message)
            #expect(event.offence == 5 && event.expiresAtIsNull, "\(message)")
            #expect(try await run.redis.send("ZSCORE", "ipwatcher:bans", "198.51.100.60").isNull)
        }
    }
}
