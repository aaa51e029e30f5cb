import IPWatcherDaemon
import Testing

/// Where `ipwatcher top`'s rates come from: the worker's totals read from Prometheus text, turned into rates
/// between two scrapes, and the `--metrics` address forms.
@Suite("ipwatcher top: rates from the metrics endpoint")
struct TopRatesTests {
    static let exposition = """
        # HELP ipwatcher_entries_processed_total Entries popped.
        # TYPE ipwatcher_entries_processed_total counter
        ipwatcher_entries_processed_total 1500
        ipwatcher_entries_processed_total_extra 7
        ipwatcher_blocks_total 12
        ipwatcher_rule_blocks_total{rule="burst"} 10
        ipwatcher_rule_blocks_total{rule="minute"} 2
        """

    @Test("a total sums every label set of its metric and no metric that only starts with its name")
    func totals() {
        #expect(WorkerCounterReading.total(of: "ipwatcher_entries_processed_total", in: Self.exposition) == 1500)
        #expect(WorkerCounterReading.total(of: "ipwatcher_rule_blocks_total", in: Self.exposition) == 12)
        #expect(WorkerCounterReading.total(of: "ipwatcher_unblocks_total", in: Self.exposition) == nil)
        let reading = WorkerCounterReading(exposition: Self.exposition, at: 1000)
        #expect(reading == WorkerCounterReading(entriesProcessed: 1500, blocks: 12, at: 1000))
        #expect(WorkerCounterReading(exposition: "# nothing here\n", at: 1000) == nil, "not a worker's metrics")
    }

    @Test("two readings give entries per second and blocks per minute; a total that went down gives none")
    func rates() {
        let earlier = WorkerCounterReading(entriesProcessed: 1000, blocks: 10, at: 10_000)
        let later = WorkerCounterReading(entriesProcessed: 4000, blocks: 13, at: 12_000)
        #expect(later.entriesPerSecond(since: earlier) == 1500)
        #expect(later.blocksPerMinute(since: earlier) == 90)
        let restarted = WorkerCounterReading(entriesProcessed: 20, blocks: 0, at: 13_000)
        #expect(restarted.entriesPerSecond(since: later) == nil && restarted.blocksPerMinute(since: later) == nil)
        #expect(later.entriesPerSecond(since: later) == nil, "no time passed")
    }

    @Test("--metrics takes host:port, [IPv6]:port or an http URL with a path, and refuses port 0 and other schemes")
    func metricsAddresses() {
        let plain = MetricsScraper("127.0.0.1:9464")
        #expect(plain?.address.description == "127.0.0.1:9464" && plain?.path == "/metrics")
        let url = MetricsScraper("http://[::1]:9500/custom")
        #expect(url?.address.description == "[::1]:9500" && url?.path == "/custom")
        #expect(MetricsScraper("127.0.0.1:0") == nil)
        #expect(MetricsScraper("https://127.0.0.1:9464/metrics") == nil)
        #expect(MetricsScraper("9464") == nil)
    }
}
