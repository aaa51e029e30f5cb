extension WorkerMetrics {
    /// The metric names: stable, since dashboards and alerts are written against them.
    enum Name {
        static let processed = "ipwatcher_entries_processed_total"
        static let counted = "ipwatcher_entries_counted_total"
        static let rejected = "ipwatcher_entries_rejected_total"
        static let stale = "ipwatcher_entries_stale_total"
        static let allowlisted = "ipwatcher_entries_allowlisted_total"
        static let blocks = "ipwatcher_blocks_total"
        static let unblocks = "ipwatcher_unblocks_total"
        static let rangeBlocks = "ipwatcher_range_blocks_total"
        static let redisErrors = "ipwatcher_redis_errors_total"
        static let recovered = "ipwatcher_entries_recovered_total"
        static let refusals = "ipwatcher_write_refusals_total"
        static let refusing = "ipwatcher_write_refused"
        static let reconnects = "ipwatcher_redis_reconnects_total"
        static let connected = "ipwatcher_redis_connected"
        static let queueLength = "ipwatcher_queue_length"
        static let batchSize = "ipwatcher_batch_size"
        static let batchDuration = "ipwatcher_batch_duration_seconds"
        static let threshold = "ipwatcher_detection_threshold"
        static let window = "ipwatcher_detection_window_seconds"
        static let dryRun = "ipwatcher_detection_dry_run"
        static let mode = "ipwatcher_detection_mode"
        static let ruleCrossings = "ipwatcher_rule_crossings_total"
        static let ruleBlocks = "ipwatcher_rule_blocks_total"
        static let ruleNearLimit = "ipwatcher_rule_near_limit_total"
        static let ruleThreshold = "ipwatcher_rule_threshold"
        static let ruleWindow = "ipwatcher_rule_window_seconds"
        static let ruleDryRun = "ipwatcher_rule_dry_run"
        static let buildInfo = "ipwatcher_build_info"
    }

    /// The `# HELP` text of each metric; README's *Metrics* section says the same at more length.
    static let help: [String: String] = [
        Name.processed: "Entries popped from the queue, valid or not.",
        Name.counted: "Valid entries counted against their unit.",
        Name.rejected: "Entries refused, by reason.",
        Name.stale: "Valid entries older than one window when they arrived; ignored.",
        Name.allowlisted: "Valid entries from allowlisted networks; never counted.",
        Name.blocks: "Units added to the blocklist (in a dry run: that would have been).",
        Name.unblocks: "Units whose ban ended and that were removed from the blocklist.",
        Name.rangeBlocks: "Ranges banned because enough of their units were banned at once (blocklist.ranges).",
        Name.redisErrors: "Failed Redis commands of the consumer loop (pops, batch writes); each is retried.",
        Name.recovered: "Entries of unfinished batches an earlier run left in its processing hash, counted at start.",
        Name.refusals: "Batch write attempts Redis refused for a lasting reason (WRONGTYPE, NOPERM, OOM), by step.",
        Name.refusing: "1 while Redis refuses a write and the worker holds its batch, else 0.",
        Name.reconnects: "Redis connections re-established after the first, by connection.",
        Name.connected: "1 while the Redis connection is up, else 0, by connection.",
        Name.queueLength: "Entries waiting in the queue list (LLEN, refreshed about once a second).",
        Name.batchSize: "Entries per written batch.",
        Name.batchDuration: "Time to write one batch to Redis, retries included.",
        Name.threshold: "Requests per window that make a bot, of the first rule in force (see ipwatcher_rule_threshold).",
        Name.window: "Window length in seconds of the first rule in force (see ipwatcher_rule_window_seconds).",
        Name.dryRun: "1 while every rule is in dry run: nothing is blocked.",
        Name.mode: "1 for the first rule's mode (fixed, sliding or rolling), 0 for the others.",
        Name.ruleCrossings: "Units whose count crossed the rule's threshold, by rule (dry-run rules included).",
        Name.ruleBlocks: "Units the rule blocked (a dry-run rule: announced), by rule.",
        Name.ruleNearLimit: "Units whose count reached the near-limit share of the rule's threshold, by rule.",
        Name.ruleThreshold: "Requests per window that make a bot, by rule in force.",
        Name.ruleWindow: "Window length in seconds, by rule in force.",
        Name.ruleDryRun: "1 while the rule is in dry run, by rule in force.",
        Name.buildInfo: "Always 1; its labels say the release (version) and commit the worker was built from.",
    ]
}
