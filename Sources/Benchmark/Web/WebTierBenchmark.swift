import Detection
import Foundation
import IPWatcherWeb
import Logging
import RESP
import RedisClient
import Traffic

/// `ipwatcher bench web`: what the web tier's library costs, measured in this process against one Redis.
///
/// - The recorder: addresses recorded as fast as one task can, while its `run()` pushes them; the rate is
///   addresses acknowledged by Redis per second.
/// - The mirror's first load of a blocklist of ``units`` members, and the process's anonymous memory before
///   and after it (per entry).
/// - Mirror lookups: each timed alone, half of them for blocked units.
/// - Staleness: a block event published, until the mirror answers blocked for it, one at a time.
///
/// It writes to `bench:web:*` keys only and deletes them afterwards, so it may run against any server.
public struct WebTierBenchmark: Sendable {
    /// Addresses the recorder measurement records.
    public var recorded: Int
    /// Units in the blocklist the mirror loads.
    public var units: Int
    /// Lookups timed.
    public var lookups: Int
    /// Events whose staleness is timed.
    public var events: Int

    /// A benchmark of these sizes; all must be positive.
    public init(recorded: Int = 2_000_000, units: Int = 1_000_000, lookups: Int = 1_000_000, events: Int = 1000) {
        self.recorded = recorded
        self.units = units
        self.lookups = lookups
        self.events = events
    }

    private static let queueKey = "bench:web:ips"
    private static let blocklistKey = "bench:web:blocklist"
    private static let bansKey = "bench:web:bans"
    private static let eventsChannel = "bench:web:events"

    /// Runs every measurement against `endpoint`.
    public func run(endpoint: RedisEndpoint) async throws -> WebTierBenchReport {
        let logger = Logger(label: "ipwatcher.bench.web")
        return try await withConnectionToCleanUp(endpoint) { redis in
            var report = WebTierBenchReport(endpoint: endpoint.description, units: units)
            report.recorderRate = try await measureRecorder(endpoint: endpoint, redis: redis, logger: logger)
            try await fillBlocklist(redis)
            try await measureMirror(endpoint: endpoint, redis: redis, logger: logger, into: &report)
            return report
        }
    }

    /// Opens the benchmark's own connection, deletes its keys before and after `body`.
    private func withConnectionToCleanUp<Result>(
        _ endpoint: RedisEndpoint, _ body: (RedisConnection) async throws -> Result
    ) async throws -> Result {
        let redis = try await RedisConnection.connect(to: endpoint, configuration: .init(commandTimeout: .seconds(60)))
        let keys = [Self.queueKey, Self.blocklistKey, Self.bansKey]
        do {
            _ = try await redis.send(RESPCommand("UNLINK", keys)).throwingServerError()
            let result = try await body(redis)
            _ = try await redis.send(RESPCommand("UNLINK", keys)).throwingServerError()
            await redis.close()
            return result
        } catch {
            await redis.closeNow()
            throw error
        }
    }

    private func measureRecorder(endpoint: RedisEndpoint, redis: RedisConnection, logger: Logger) async throws -> Double {
        let router = RedisRouter(endpoint: endpoint, clusterSeeds: nil, configuration: .init(), logger: logger)
        let recorder = AddressRecorder(
            router: router,
            settings: .init(queue: QueueShards(baseKey: Self.queueKey, count: 1), capacity: recorded))
        let total = recorded
        let clock = ContinuousClock()
        let started = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await router.run() }
            group.addTask { await recorder.run() }
            defer { group.cancelAll() }
            var random = SplitMix64(seed: 1)
            for index in 0..<total {
                let address = IPAddress.v4(UInt32(truncatingIfNeeded: random.next()))
                recorder.record(address, atMilliseconds: 1_764_000_000_000 + Int64(index))
            }
            while recorder.statistics.pushed < total {
                try await Task.sleep(for: .milliseconds(1))
            }
        }
        let seconds = started.duration(to: clock.now).seconds
        let queued = try await redis.send("LLEN", Self.queueKey).throwingServerError().int ?? 0
        guard queued == total else {
            throw RedisError.unexpectedReply(command: "LLEN", reply: "\(queued) entries queued, \(total) recorded")
        }
        return Double(total) / seconds
    }

    /// `units` members in the blocklist (/64 names and IPv4 addresses, half each), every tenth with a ban expiry.
    private func fillBlocklist(_ redis: RedisConnection) async throws {
        var start = 0
        while start < units {
            let end = min(start + 10_000, units)
            var encoder = RESPCommandEncoder()
            let names = (start..<end).map(Self.unitName)
            encoder.encode("SADD", Self.blocklistKey, names)
            let banned = names.enumerated().filter { $0.offset % 10 == 0 }.flatMap { ["1900000000000", $0.element] }
            if !banned.isEmpty { encoder.encode("ZADD", Self.bansKey, banned) }
            for reply in try await redis.pipeline(encoder) { _ = try reply.throwingServerError() }
            start = end
        }
    }

    /// Unit number `index`: even ones the /64 `2001:db8:<index>::/64`-like, odd ones an IPv4 address.
    private static func unitName(_ index: Int) -> String {
        index % 2 == 0
            ? IPNetwork(address: .v6(high: 0x2001_0DB8_0000_0000 | UInt64(index), low: 0), prefixLength: 64).description
            : IPAddress.v4(0x0A00_0000 | UInt32(index)).description
    }

    /// The address of a client in unit number `index`.
    private static func clientAddress(_ index: Int) -> IPAddress {
        index % 2 == 0 ? .v6(high: 0x2001_0DB8_0000_0000 | UInt64(index), low: 0x1234) : .v4(0x0A00_0000 | UInt32(index))
    }

    private func measureMirror(
        endpoint: RedisEndpoint, redis: RedisConnection, logger: Logger, into report: inout WebTierBenchReport
    ) async throws {
        var settings = BlocklistMirror.Settings()
        settings.blocklistKey = Self.blocklistKey
        settings.bansKey = Self.bansKey
        settings.eventsChannel = Self.eventsChannel
        settings.reconcileInterval = .seconds(3600)
        let mirror = BlocklistMirror(endpoint: endpoint, settings: settings, logger: logger)
        let anonymousBefore = ProcFS.memory(pid: getpid())?.residentAnonymousBytes
        let clock = ContinuousClock()
        let started = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await mirror.run() }
            defer { group.cancelAll() }
            while mirror.isStale { try await Task.sleep(for: .milliseconds(1)) }
            report.mirrorLoadSeconds = started.duration(to: clock.now).seconds
            if let before = anonymousBefore, let after = ProcFS.memory(pid: getpid())?.residentAnonymousBytes {
                report.mirrorBytesPerUnit = Double(after - before) / Double(units)
            }
            report.mirrorUnitsLoaded = mirror.status.units
            report.lookupNanoseconds = measureLookups(mirror)
            report.stalenessMilliseconds = try await measureStaleness(mirror, redis: redis)
        }
    }

    /// Times each lookup alone (the clock reads are included); half the addresses are in blocked units.
    private func measureLookups(_ mirror: BlocklistMirror) -> WebTierBenchReport.Percentiles {
        let clock = ContinuousClock()
        var samples: [Duration] = []
        samples.reserveCapacity(lookups)
        var blocked = 0
        for index in 0..<lookups {
            // Even lookups hit a loaded unit, odd ones an address beyond the loaded range.
            let address = Self.clientAddress(index % 2 == 0 ? index % units : units + index)
            let start = clock.now
            let isBlocked = mirror.isBlocked(address)
            samples.append(start.duration(to: clock.now))
            if isBlocked { blocked += 1 }
        }
        precondition(blocked == (lookups + 1) / 2, "the lookups did not find the loaded units")
        return .init(samples.map { Double($0.seconds * 1e9) })
    }

    /// Publishes a block event and spins until the mirror answers blocked, one event at a time.
    private func measureStaleness(_ mirror: BlocklistMirror, redis: RedisConnection) async throws -> WebTierBenchReport.Percentiles {
        let clock = ContinuousClock()
        var samples: [Double] = []
        for index in 0..<events {
            let address = IPAddress.v4(0xC000_0200 | UInt32(index % 250) | UInt32(index / 250) << 8)
            let event = #"{"event":"block","unit":"\#(address)","expires_at":null,"at":1,"manual":true}"#
            let start = clock.now
            _ = try await redis.send("PUBLISH", Self.eventsChannel, event).throwingServerError()
            while !mirror.isBlocked(address) {
                guard start.duration(to: clock.now) < .seconds(5) else {
                    throw RedisError.unexpectedReply(command: "PUBLISH", reply: "the mirror never saw \(address)")
                }
                await Task.yield()
            }
            samples.append(start.duration(to: clock.now).seconds * 1000)
        }
        return .init(samples)
    }
}
