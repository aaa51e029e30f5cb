import Detection
import RESP
import RedisClient

/// Reads what `ipwatcher top` shows: the queue, the blocklist, the units nearest each rule's threshold and the
/// latest bans from Redis, and the rates from the worker's metrics endpoint.
///
/// Keeps the readings of the last minute's scrapes, so each ``collect(on:redisError:now:)`` after the first gives
/// entries per second (since the previous scrape) and blocks per minute (over up to the last 60 s). Without the
/// endpoint, blocks per minute comes from Redis — the bans in force that began in the last 60 s — and entries per
/// second is unknown. Every scan is capped (``Limits``), so a keyspace of millions of keys costs a refresh a
/// bounded amount of work; the screen says when a cap was reached.
public struct TopCollector: Sendable {
    /// How much one refresh may read.
    public struct Limits: Sendable, Hashable {
        /// Most keys one `SCAN` of a rule's counters walks (in calls of `COUNT 1000`).
        public var scanKeys: Int
        /// Most units whose counts are read per rule.
        public var units: Int
        /// Most units listed per rule.
        public var shownPerRule: Int
        /// Most bans read from the ban details hash (`HSCAN` beyond it).
        public var bans: Int
        /// Most bans listed.
        public var shownBans: Int

        /// Limits; the defaults keep a refresh to a few milliseconds of Redis time on a busy server.
        public init(
            scanKeys: Int = 50_000, units: Int = 20_000, shownPerRule: Int = 10, bans: Int = 20_000, shownBans: Int = 20
        ) {
            self.scanKeys = scanKeys
            self.units = units
            self.shownPerRule = shownPerRule
            self.bans = bans
            self.shownBans = shownBans
        }
    }

    /// The worker's settings: keys, rules, counters.
    public let settings: WorkerSettings
    /// The Redis read, as shown (no password).
    public let redisName: String
    /// The worker's metrics endpoint, or nil when there is none to ask.
    public let scraper: MetricsScraper?
    /// How much one refresh may read.
    public let limits: Limits
    /// The scrapes of the last minute, oldest first.
    private var readings: [WorkerCounterReading] = []
    /// Why the last scrape failed, if it did.
    private var scrapeError: String?

    /// A collector for the worker `settings` describe, reading `redisName`'s data and scraping `scraper`.
    public init(settings: WorkerSettings, redisName: String, scraper: MetricsScraper?, limits: Limits = Limits()) {
        self.settings = settings
        self.redisName = redisName
        self.scraper = scraper
        self.limits = limits
    }

    /// Scrapes the metrics endpoint once at `now`, so the next ``collect(on:redisError:now:)`` has a rate; returns
    /// whether it answered.
    @discardableResult
    public mutating func scrape(now: Int64) async -> Bool {
        guard let scraper else { return false }
        do {
            let text = try await scraper.fetch()
            guard let reading = WorkerCounterReading(exposition: text, at: now) else {
                scrapeError = "not an ipwatcher worker's metrics"
                return false
            }
            readings.removeAll { $0.at < now - 60_000 || $0.at >= now }
            readings.append(reading)
            scrapeError = nil
            return true
        } catch {
            scrapeError = "\(error)"
            return false
        }
    }

    /// A snapshot at `now`: scrapes the metrics endpoint, then reads Redis over `client` — or, when `client` is nil,
    /// shows `redisError` in place of Redis's figures. A Redis failure while reading is thrown, so the caller can
    /// reconnect; the scrape has been kept by then.
    public mutating func collect(
        on client: (any RedisCommandExecutor)?, redisError: String? = nil, now: Int64
    ) async throws -> TopSnapshot {
        let scraped = await scrape(now: now)
        var snapshot = TopSnapshot(takenAt: now, redis: redisName, redisError: redisError)
        fillRates(into: &snapshot, scraped: scraped)
        guard let client else { return snapshot }
        try await readFigures(on: client, into: &snapshot)
        try await readBlocks(on: client, into: &snapshot)
        if !scraped {
            let recent = snapshot.latestBlocks.filter { !$0.isManual && $0.since > now - 60_000 }.count
            snapshot.blocksPerMinute = TopSnapshot.Figure(
                Double(recent), source: "redis: bans in force begun in the last 60 s (no metrics)")
        }
        snapshot.latestBlocks = Array(snapshot.latestBlocks.prefix(limits.shownBans))
        for rule in settings.detection.rules {
            snapshot.rules.append(try await ruleView(rule, on: client, now: now))
        }
        return snapshot
    }

    /// The rates from the scrapes kept, or why there are none.
    private func fillRates(into snapshot: inout TopSnapshot, scraped: Bool) {
        guard let scraper else {
            snapshot.entriesPerSecond = TopSnapshot.Figure(
                nil, source: "no metrics endpoint (metrics.listen or --metrics off)")
            snapshot.blocksPerMinute = snapshot.entriesPerSecond
            return
        }
        let source = "metrics \(scraper.address)"
        guard scraped, let latest = readings.last else {
            snapshot.entriesPerSecond = TopSnapshot.Figure(nil, source: "\(source): \(scrapeError ?? "no answer")")
            snapshot.blocksPerMinute = snapshot.entriesPerSecond
            return
        }
        guard readings.count >= 2 else {
            snapshot.entriesPerSecond = TopSnapshot.Figure(nil, source: "\(source): rate after the next scrape")
            snapshot.blocksPerMinute = snapshot.entriesPerSecond
            return
        }
        let previous = readings[readings.count - 2]
        snapshot.entriesPerSecond = TopSnapshot.Figure(
            latest.entriesPerSecond(since: previous),
            source: "\(source), over the last \(Self.span(latest.at - previous.at))")
        let oldest = readings[0]
        snapshot.blocksPerMinute = TopSnapshot.Figure(
            latest.blocksPerMinute(since: oldest),
            source: "\(source), over the last \(Self.span(latest.at - oldest.at))")
    }

    /// `1.0 s`, `59.8 s`.
    static func span(_ milliseconds: Int64) -> String {
        "\(milliseconds / 1000).\(milliseconds % 1000 / 100) s"
    }

    /// The queue's length over all shards, the blocklist's size and, with range bans on, the ranges banned.
    private func readFigures(on client: some RedisCommandExecutor, into snapshot: inout TopSnapshot) async throws {
        let shards = settings.shards.keys
        var encoder = RESPCommandEncoder()
        for key in shards { encoder.encode("LLEN", key) }
        encoder.encode("SCARD", settings.blocklistKey)
        if settings.ranges.isOn { encoder.encode("SCARD", settings.rangesKey) }
        let replies = try await client.pipeline(encoder).map { try $0.throwingServerError().int ?? 0 }
        let queue = shards.count == 1 ? shards[0] : "\(settings.queueKey):{0…\(shards.count - 1)}"
        snapshot.queueLength = TopSnapshot.Figure(
            Double(replies[..<shards.count].reduce(0, +)), source: "redis LLEN \(queue)")
        snapshot.blocklistSize = TopSnapshot.Figure(
            Double(replies[shards.count]), source: "redis SCARD \(settings.blocklistKey)")
        if settings.ranges.isOn {
            snapshot.rangesBanned = TopSnapshot.Figure(
                Double(replies[shards.count + 1]), source: "redis SCARD \(settings.rangesKey)")
        }
    }
}
