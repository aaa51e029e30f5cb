import Detection
import Foundation
import IPWatcherDaemon
import IPWatcherTestSupport
import NIOCore
import RESP
import RedisClient
import Testing

/// 100,000 random byte strings of any length up to 64 KiB, mixed with valid addresses: the worker keeps running,
/// counts every valid entry against the right unit, refuses every random one for the right reason, and touches no
/// key outside its namespace.
@Suite("Worker: hostile queue input", .needsRedisServer, .timeLimit(.minutes(10)), .loadsMachine)
struct WorkerHostileInputTests {
    static let randomCount = 100_000
    static let validCount = 20_000
    /// Keys outside the `ipwatcher:` prefix, so a key the worker made up from an entry would stand out.
    static let queueKey = "frontend:queue"
    static let blocklistKey = "frontend:blocklist"
    static let rejectedKey = "frontend:rejected"

    /// The seed: `IPWATCHER_HOSTILE_SEED` to replay a run, else a new one each run (printed either way).
    static let seed: UInt64 = {
        if let text = ProcessInfo.processInfo.environment["IPWATCHER_HOSTILE_SEED"], let seed = UInt64(text) {
            return seed
        }
        return UInt64.random(in: 0...UInt64.max)
    }()

    @Test("100,000 random byte strings up to 64 KiB among valid addresses: all refused, all valid ones counted")
    func randomBytesAreRefusedAndValidEntriesCounted() async throws {
        let seed = Self.seed
        print("WorkerHostileInputTests: seed \(seed) (replay with IPWATCHER_HOSTILE_SEED=\(seed))")
        var settings = WorkerSettings.forTests
        settings.queueKey = Self.queueKey
        settings.blocklistKey = Self.blocklistKey
        settings.rejectedKey = Self.rejectedKey
        let configured = settings
        try await withWorker(configured, deadline: .seconds(100)) { run in
            let settings = configured
            let pushed = try await Self.pushTraffic(seed: seed, to: run.redis)
            let total = Self.randomCount + Self.validCount
            #expect(pushed.entries == total)

            let totals = try await run.waitUntilHandled(total, within: .seconds(60))
            let context = Comment(rawValue: "seed \(seed); totals \(totals)")
            #expect(totals.popped == total, context)
            #expect(totals.counted + totals.stale == Self.validCount, context)
            #expect(totals.stale == 0, context)
            #expect(totals.allowlisted == 0, context)
            #expect(totals.rejectedTotal == Self.randomCount, context)
            #expect(totals.rejected == pushed.reasons, context)
            // Every reason a random string can have did come up, so each path was exercised.
            for reason: EntryRejection in [.empty, .tooLong, .controlCharacter, .notAnAddress, .badTimestamp] {
                #expect((totals.rejected[reason] ?? 0) > 0, "no entry was refused as \(reason); \(context)")
            }

            // The worker is still consuming: a fresh valid entry is counted.
            try await run.redis.push(["192.0.2.250"], to: Self.queueKey)
            try await run.waitUntilHandled(total + 1)

            // The counters add up per unit, and no counter exists for anything but the units sent.
            var counted: [String: Int] = [:]
            let counterPrefix = settings.keys.prefix + "fixed:"
            for key in try await run.redis.allKeys(matching: counterPrefix + "*") {
                // <prefix>fixed:<window>:<index>:<unit>; an IPv6 unit holds colons of its own.
                let fields = key.dropFirst(counterPrefix.count).split(separator: ":", maxSplits: 2)
                try #require(fields.count == 3, "odd counter key \(key)")
                counted[String(fields[2]), default: 0] += Int(try await run.redis.send("GET", key).int ?? -1)
            }
            var expected = pushed.units
            expected["192.0.2.250", default: 0] += 1
            #expect(counted == expected, "counters differ from what was sent; \(context)")

            // Blocked units are units that were sent, and every unit with two windows' worth of hits is one.
            let blocked = Set(try await run.redis.members(of: Self.blocklistKey))
            #expect(blocked.isSubset(of: Set(expected.keys)), "blocked: \(blocked.subtracting(expected.keys))")
            let surelyBlocked = Set(pushed.units.filter { $0.value >= 2 * settings.detection.singleRule.threshold }.keys)
            #expect(surelyBlocked.isSubset(of: blocked), "not blocked: \(surelyBlocked.subtracting(blocked))")

            // The dead-letter list holds only refused entries, byte for byte (a too-long one as the first 257 bytes
            // the pop script cut it to), capped.
            let deadLetters = try await run.redis.send("LRANGE", Self.rejectedKey, 0, -1)
            let letters = deadLetters.array.map { $0.compactMap(\.bytes) } ?? []
            #expect(letters.count == min(settings.rejectedMax, Self.randomCount))
            let strangers = letters.filter { !pushed.rejectedHashes.contains(Self.hash($0.readableBytesView)) }
            #expect(strangers.isEmpty, "\(strangers.count) dead letters were never sent")

            // Nothing outside the namespace: the whole keyspace is the prefix, the queue, the blocklist and the
            // dead-letter list.
            let keys = try await run.redis.allKeys()
            let outside = keys.filter {
                !$0.hasPrefix(settings.keys.prefix) && ![Self.queueKey, Self.blocklistKey, Self.rejectedKey].contains($0)
            }
            #expect(outside.isEmpty, "keys outside the namespace: \(outside.prefix(20)); \(context)")
            #expect(keys.contains(Self.blocklistKey) && keys.contains(Self.rejectedKey), "\(keys.prefix(20))")
        }
    }

    /// What was pushed: how many entries, the refusals expected per reason, the hits per unit, and a hash of each
    /// refused entry's bytes.
    struct Pushed: Sendable {
        var entries = 0
        var reasons: [EntryRejection: Int] = [:]
        var units: [String: Int] = [:]
        var rejectedHashes: Set<Int> = []
    }

    /// Generates the traffic and pushes it with multi-value `LPUSH`es of at most 1,000 entries or 1 MiB, pipelined
    /// up to 4 MiB per round trip, so the queue never holds all of it at once and the worker drains as it comes.
    static func pushTraffic(seed: UInt64, to redis: RedisConnection) async throws -> Pushed {
        var traffic = HostileQueueTraffic(
            seed: seed, randomCount: randomCount, validCount: validCount, nowMilliseconds: nowMilliseconds())
        var pushed = Pushed()
        var encoder = RESPCommandEncoder()
        var command: [ByteBuffer] = []
        var commandBytes = 0
        func endCommand() {
            guard !command.isEmpty else { return }
            encoder.encode("LPUSH", queueKey, command)
            command.removeAll(keepingCapacity: true)
            commandBytes = 0
        }
        func flush() async throws {
            endCommand()
            guard encoder.commandCount > 0 else { return }
            for reply in try await redis.pipeline(encoder, timeout: .seconds(30)) { _ = try reply.throwingServerError() }
            encoder.reset()
        }
        while let entry = traffic.next() {
            pushed.entries += 1
            switch entry.expectation {
            case .counted(let unit):
                pushed.units[unit, default: 0] += 1
            case .rejected(let reason):
                pushed.reasons[reason, default: 0] += 1
                pushed.rejectedHashes.insert(hash(entry.bytes.prefix(QueueEntryParser.maximumLength + 1)))
                // The generator's promise, checked against the parser: a random string is never a valid entry.
                let accepted = entry.bytes.withUnsafeBytes { (try? QueueEntryParser.parse($0).get()) != nil }
                if accepted { Issue.record("generated an entry the parser accepts: \(entry.bytes)") }
            }
            command.append(ByteBuffer(bytes: entry.bytes))
            commandBytes += entry.bytes.count
            if command.count == 1_000 || commandBytes >= 1 << 20 { endCommand() }
            if encoder.buffer.readableBytes >= 4 << 20 { try await flush() }
        }
        try await flush()
        return pushed
    }

    /// A hash of some bytes, stable within the test process.
    static func hash(_ bytes: some Sequence<UInt8>) -> Int {
        var hasher = Hasher()
        for byte in bytes { hasher.combine(byte) }
        return hasher.finalize()
    }
}
