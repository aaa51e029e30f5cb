import Detection
import RedisClient
import Testing

@testable import IPWatcherDaemon

/// The metrics themselves, without a server: counters follow the totals without counting anything twice, the
/// text is complete, and the health rule says what is wrong.
@Suite("Metrics: WorkerMetrics and WorkerHealth")
struct WorkerMetricsTests {
    static func readings(
        _ statistics: WorkerStatistics.Snapshot, detection: DetectionSettings = DetectionSettings(),
        popConnections: Int = 1, writeConnections: Int = 1, ready: Bool = true
    ) -> WorkerMetrics.Readings {
        WorkerMetrics.Readings(
            statistics: statistics, detection: detection,
            connections: [
                "pop": .init(isReady: ready, connectionCount: popConnections),
                "write": .init(isReady: ready, connectionCount: writeConnections),
            ])
    }

    @Test("counters grow by what the totals grew, however often they are brought up to date")
    func countersFollowTotals() {
        let metrics = WorkerMetrics(queueKeys: ["ips"])
        var totals = WorkerStatistics.Snapshot()
        totals.popped = 10
        totals.counted = 7
        totals.rejected = [.notAnAddress: 2, .future: 1]
        totals.blocked = 1
        totals.recovered = 3
        metrics.update(Self.readings(totals))
        metrics.update(Self.readings(totals))  // a second scrape with nothing new adds nothing
        totals.popped = 15
        totals.rejected[.notAnAddress] = 4
        totals.unblocked = 1
        metrics.update(Self.readings(totals, popConnections: 3, writeConnections: 2))
        metrics.update(Self.readings(totals, popConnections: 3, writeConnections: 2))
        let samples = PrometheusSamples(metrics.exposition())
        #expect(samples["ipwatcher_entries_processed_total"] == 15, "\(samples)")
        #expect(samples["ipwatcher_entries_counted_total"] == 7)
        #expect(samples[#"ipwatcher_entries_rejected_total{reason="not_an_address"}"#] == 4)
        #expect(samples[#"ipwatcher_entries_rejected_total{reason="future"}"#] == 1)
        #expect(samples[#"ipwatcher_entries_rejected_total{reason="empty"}"#] == 0)
        #expect(samples["ipwatcher_blocks_total"] == 1)
        #expect(samples["ipwatcher_unblocks_total"] == 1)
        #expect(samples["ipwatcher_entries_recovered_total"] == 3)
        #expect(samples[#"ipwatcher_redis_reconnects_total{connection="pop"}"#] == 2)
        #expect(samples[#"ipwatcher_redis_reconnects_total{connection="write"}"#] == 1)
    }

    @Test("every metric family has HELP and TYPE lines, and the text ends in one newline")
    func completeText() {
        let metrics = WorkerMetrics(queueKeys: ["ips"])
        metrics.update(Self.readings(WorkerStatistics.Snapshot()))
        let text = metrics.exposition()
        let samples = PrometheusSamples(text)
        let families: [String: String] = [
            "ipwatcher_entries_processed_total": "counter", "ipwatcher_entries_counted_total": "counter",
            "ipwatcher_entries_rejected_total": "counter", "ipwatcher_entries_stale_total": "counter",
            "ipwatcher_entries_allowlisted_total": "counter", "ipwatcher_blocks_total": "counter",
            "ipwatcher_unblocks_total": "counter", "ipwatcher_range_blocks_total": "counter",
            "ipwatcher_redis_errors_total": "counter",
            "ipwatcher_entries_recovered_total": "counter", "ipwatcher_write_refusals_total": "counter",
            "ipwatcher_write_refused": "gauge", "ipwatcher_redis_reconnects_total": "counter", "ipwatcher_redis_connected": "gauge",
            "ipwatcher_queue_length": "gauge", "ipwatcher_batch_size": "histogram",
            "ipwatcher_batch_duration_seconds": "histogram", "ipwatcher_detection_threshold": "gauge",
            "ipwatcher_detection_window_seconds": "gauge", "ipwatcher_detection_dry_run": "gauge",
            "ipwatcher_detection_mode": "gauge", "ipwatcher_rule_crossings_total": "counter",
            "ipwatcher_rule_blocks_total": "counter", "ipwatcher_rule_near_limit_total": "counter",
            "ipwatcher_rule_threshold": "gauge", "ipwatcher_rule_window_seconds": "gauge", "ipwatcher_rule_dry_run": "gauge",
            "ipwatcher_build_info": "gauge",
        ]
        #expect(samples.types == families)
        #expect(samples.helped == Set(families.keys))
        #expect(text.hasSuffix("\n") && !text.hasSuffix("\n\n"))
        for reason in EntryRejection.allCases {
            #expect(samples[#"ipwatcher_entries_rejected_total{reason="\#(reason.rawValue)"}"#] == 0, "\(reason)")
        }
    }

    @Test("build info is one series at 1 whose labels are the version and commit given, else unknown")
    func buildInfo() {
        let given = WorkerMetrics(queueKeys: ["ips"], build: BuildInfo(version: "1.2.3", commit: "4bd0f10"))
        let samples = PrometheusSamples(given.exposition())
        #expect(samples.values.keys.filter { $0.hasPrefix("ipwatcher_build_info") } == [#"ipwatcher_build_info{version="1.2.3",commit="4bd0f10"}"#], "\(samples)")
        #expect(samples[#"ipwatcher_build_info{version="1.2.3",commit="4bd0f10"}"#] == 1)
        let unknown = PrometheusSamples(WorkerMetrics(queueKeys: ["ips"]).exposition())
        #expect(unknown[#"ipwatcher_build_info{version="unknown",commit="unknown"}"#] == 1, "\(unknown)")
    }

    @Test("batch histograms: sizes up to 100000 and durations from 0.1 ms to 10 s land in their buckets")
    func batchHistograms() {
        let metrics = WorkerMetrics(queueKeys: ["ips"])
        let statistics = WorkerStatistics(metrics: metrics)
        statistics.recordBatch(entries: 1, duration: .microseconds(80))
        statistics.recordBatch(entries: 10_000, duration: .milliseconds(3))
        statistics.recordBatch(entries: 100_000, duration: .seconds(20))
        let samples = PrometheusSamples(metrics.exposition())
        #expect(samples["ipwatcher_batch_size_count"] == 3, "\(samples)")
        #expect(samples["ipwatcher_batch_size_sum"] == 110_001)
        #expect(samples[#"ipwatcher_batch_size_bucket{le="1.0"}"#] == 1)
        #expect(samples[#"ipwatcher_batch_size_bucket{le="10000.0"}"#] == 2)
        #expect(samples[#"ipwatcher_batch_size_bucket{le="100000.0"}"#] == 3)
        #expect(samples["ipwatcher_batch_duration_seconds_count"] == 3)
        #expect(samples[#"ipwatcher_batch_duration_seconds_bucket{le="0.0001"}"#] == 1)
        #expect(samples[#"ipwatcher_batch_duration_seconds_bucket{le="0.005"}"#] == 2)
        #expect(samples[#"ipwatcher_batch_duration_seconds_bucket{le="10.0"}"#] == 2)
        #expect(samples[#"ipwatcher_batch_duration_seconds_bucket{le="+Inf"}"#] == 3)
    }

    @Test("statistics without metrics take batch records and ignore them")
    func statisticsWithoutMetrics() {
        let statistics = WorkerStatistics()
        statistics.recordBatch(entries: 5, duration: .milliseconds(1))
        #expect(statistics.snapshot == WorkerStatistics.Snapshot())
    }

    @Test("detection gauges show the settings in force: mode, threshold, window, dry run")
    func detectionGauges() {
        let metrics = WorkerMetrics(queueKeys: ["ips"])
        var detection = DetectionSettings()
        metrics.update(Self.readings(WorkerStatistics.Snapshot(), detection: detection))
        var samples = PrometheusSamples(metrics.exposition())
        #expect(samples[#"ipwatcher_detection_mode{mode="fixed"}"#] == 1)
        #expect(samples[#"ipwatcher_detection_mode{mode="rolling"}"#] == 0)
        #expect(samples["ipwatcher_detection_threshold"] == 15)
        detection.singleRule = DetectionRule(mode: .rolling, threshold: 40, windowSeconds: 10)
        detection.dryRun = true
        metrics.update(Self.readings(WorkerStatistics.Snapshot(), detection: detection, ready: false))
        samples = PrometheusSamples(metrics.exposition())
        #expect(samples[#"ipwatcher_detection_mode{mode="fixed"}"#] == 0)
        #expect(samples[#"ipwatcher_detection_mode{mode="rolling"}"#] == 1)
        #expect(samples["ipwatcher_detection_threshold"] == 40)
        #expect(samples["ipwatcher_detection_window_seconds"] == 10)
        #expect(samples["ipwatcher_detection_dry_run"] == 1)
        #expect(samples[#"ipwatcher_redis_connected{connection="pop"}"#] == 0)
    }

    @Test("every rule in force has its series from the start; they follow the rule totals and the rules a reload sets")
    func perRuleSeries() {
        let metrics = WorkerMetrics(queueKeys: ["ips"])
        var detection = DetectionSettings(rules: [
            DetectionRule(name: "burst", threshold: 10, windowSeconds: 2),
            DetectionRule(name: "hourly", mode: .rolling, threshold: 300, windowSeconds: 3600, dryRun: true),
        ])
        metrics.update(Self.readings(WorkerStatistics.Snapshot(), detection: detection))
        var samples = PrometheusSamples(metrics.exposition())
        #expect(samples[#"ipwatcher_rule_crossings_total{rule="burst"}"#] == 0)
        #expect(samples[#"ipwatcher_rule_near_limit_total{rule="hourly"}"#] == 0)
        #expect(samples[#"ipwatcher_rule_threshold{rule="hourly"}"#] == 300)
        #expect(samples[#"ipwatcher_rule_window_seconds{rule="burst"}"#] == 2)
        #expect(samples[#"ipwatcher_rule_dry_run{rule="hourly"}"#] == 1)
        #expect(samples[#"ipwatcher_rule_dry_run{rule="burst"}"#] == 0)

        var totals = WorkerStatistics.Snapshot()
        totals.rules["burst"] = WorkerStatistics.RuleTotals(crossings: 3, blocks: 2, nearLimit: 7)
        metrics.update(Self.readings(totals, detection: detection))
        metrics.update(Self.readings(totals, detection: detection))
        samples = PrometheusSamples(metrics.exposition())
        #expect(samples[#"ipwatcher_rule_crossings_total{rule="burst"}"#] == 3)
        #expect(samples[#"ipwatcher_rule_blocks_total{rule="burst"}"#] == 2)
        #expect(samples[#"ipwatcher_rule_near_limit_total{rule="burst"}"#] == 7)

        detection.rules.append(DetectionRule(name: "minute", threshold: 15, windowSeconds: 60))
        metrics.update(Self.readings(totals, detection: detection))
        samples = PrometheusSamples(metrics.exposition())
        #expect(samples[#"ipwatcher_rule_threshold{rule="minute"}"#] == 15)
        #expect(samples[#"ipwatcher_rule_blocks_total{rule="minute"}"#] == 0)
    }

    @Test("health: both connections ready and recent progress, else one line saying what is wrong")
    func health() {
        let limit = WorkerHealth.progressLimit(blockTimeout: .seconds(1))
        #expect(limit == .seconds(5))
        #expect(WorkerHealth.progressLimit(blockTimeout: .seconds(10)) == .seconds(30))
        func problem(_ pop: RedisConnectionState, _ write: RedisConnectionState, _ since: Duration?) -> String? {
            WorkerHealth(popConnection: pop, writeConnection: write, sinceProgress: since, progressLimit: limit).problem
        }
        #expect(problem(.ready, .ready, .seconds(1)) == nil)
        #expect(problem(.ready, .connecting(attempt: 3), .seconds(1)) == "Redis write connection not ready: connecting (attempt 3)")
        #expect(problem(.shutdown, .ready, .seconds(1)) == "Redis pop connection not ready: shut down")
        #expect(problem(.ready, .ready, nil) == "the consumer loop has not started")
        #expect(problem(.ready, .ready, .milliseconds(12_340)) == "the consumer loop made no progress for 12.3 s (limit 5.0 s)")
        let refusal = BatchWriteRefusal(
            step: .blocklist, key: "blocklist",
            error: RedisServerError(message: "WRONGTYPE Operation against a key holding the wrong kind of value (key blocklist)"))
        let refused = WorkerHealth(
            popConnection: .ready, writeConnection: .ready, sinceProgress: .seconds(1), progressLimit: limit,
            refusal: refusal)
        #expect(
            refused.problem
                == "Redis refuses the blocklist write to blocklist: WRONGTYPE Operation against a key holding the wrong kind of value (key blocklist)"
        )
    }

    @Test("a refusal names the key a script error names at its end, else the step's own key")
    func refusalNamesTheKey() {
        func key(_ message: String) -> String {
            BatchWriteRefusal(step: .counters, scriptError: RedisServerError(message: message), fallbackKey: "fallback").key
        }
        #expect(key("WRONGTYPE Operation against a key (key ipwatcher:fixed:60:1:10.0.0.1)") == "ipwatcher:fixed:60:1:10.0.0.1")
        #expect(key("WRONGTYPE x (key a (key b)") == "b")
        #expect(key("OOM command not allowed when used memory > 'maxmemory'.") == "fallback")
        #expect(key("ERR something (key )") == "fallback")
        #expect(key("ERR (key ") == "fallback")
    }

    @Test("the systemd status says when Redis refuses a write and the batch is held")
    func statusLineNamesARefusal() {
        var snapshot = WorkerStatistics.Snapshot()
        snapshot.refusing = BatchWriteRefusal(
            step: .deadLetters, key: "ipwatcher:rejected", error: RedisServerError(message: "OOM command not allowed"))
        let line = SystemdStatusService.statusLine(snapshot, rate: 0, redis: .ready, endpoint: "redis://x")
        #expect(line.hasPrefix("held: Redis refuses the dead-letter write to ipwatcher:rejected: OOM command not allowed; "))
    }
}
