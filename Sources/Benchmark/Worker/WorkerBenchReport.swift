import Foundation

/// Results of `ipwatcher bench`: the worker's drain rates, detection latency, memory, and `redis-benchmark`
/// on the same server, with the targets they are compared against. A table for people
/// (``table``, in WorkerBenchReport+Table.swift) and JSON for machines (``json``).
public struct WorkerBenchReport: Codable, Sendable {
    /// The figures the measurements are held against; printed beside them, never asserted.
    struct Targets: Codable, Sendable {
        /// Addresses per second draining a pre-filled queue in fixed mode.
        var fixedDrainRate = 1_000_000.0
        /// The same in rolling mode.
        var rollingDrainRate = 300_000.0
        /// 99th percentile of the detection latency, milliseconds…
        var latencyP99Milliseconds = 5.0
        /// …at this offered load, requests per second.
        var latencyOfferedRate = 100_000.0
        /// The worker's peak resident memory, bytes (25 MB, issue 15).
        var workerPeakResidentBytes = 25_000_000
    }

    /// Where it ran.
    struct Machine: Codable, Sendable {
        /// `release` or `debug`: debug numbers say nothing about the product.
        var build: String
        /// Processors available.
        var cpus: Int
        /// `/proc/cpuinfo`'s model name.
        var cpuModel: String?
        /// Physical memory, bytes.
        var memoryBytes: Int?
        /// `redis_version` of `INFO server`.
        var redisVersion: String?
        /// The server, without password; `private` when the benchmark started its own.
        var redis: String
        /// Whether the benchmark started (and flushed) its own server.
        var privateServer: Bool
    }

    /// What was sent and how the worker was set up.
    struct Workload: Codable, Sendable {
        var scenario = "mixed"
        var seed: UInt64
        var threshold: Int
        var windowSeconds: Int
        var batch: Int
        var popSide = "left"
        /// `queue.delivery` of the worker.
        var delivery = "at-least-once"
        var eventTimes = false
        /// The rules of `--config` as text (`burst:10/2`), each drain in its own mode; empty: the default rule.
        var rules: [String] = []
    }

    /// CPU used during a measurement, percent of one core, per process.
    struct CPUShare: Codable, Sendable, Hashable {
        /// The `ipwatcher run` subprocess.
        var worker: Double?
        /// redis-server (nil when it is not on this host or /proc is unreadable).
        var redis: Double?
        /// This process: the feeder and the samplers.
        var bench: Double?
        /// The whole machine (all processors, time stolen by a hypervisor left out), and what of it was none of
        /// the three: other work on the machine, which the measurement shared it with.
        var machine: Double?
        var others: Double?
    }

    /// A worker process's memory, from `/proc/<pid>/status`.
    struct WorkerMemory: Codable, Sendable, Hashable {
        /// Peak resident set size so far (`VmHWM`), bytes: what the target is about.
        var peakResidentBytes: Int
        /// Anonymous resident memory now (`RssAnon`: heap and stacks), bytes.
        var residentAnonymousBytes: Int?
        /// File-backed resident pages now (`RssFile`: code and data of the binary and shared libraries, shared
        /// with every other process mapping them), bytes.
        var residentFileBytes: Int?
    }

    /// What Redis executed during a measurement, from `INFO commandstats` before and after (the benchmark's own
    /// `LLEN` polls included).
    struct CommandCounts: Codable, Sendable, Hashable {
        /// Calls per command, lower case (`incrby`, `evalsha`, and the commands run inside scripts).
        var calls: [String: Int]
        /// Microseconds Redis spent per command (a script's own commands are counted both in it and in `evalsha`).
        var microseconds: [String: Int]

        /// The worker's pops: the batch move script with at-least-once delivery (its `HGET`, which nothing else
        /// calls while batches flow), else the pop script (its one `LPOP` or `RPOP`; the move script pops too, so
        /// those count only when there is no `HGET`).
        var pops: Int {
            let moves = calls["hget"] ?? 0
            return moves > 0 ? moves : (calls["lpop"] ?? 0) + (calls["rpop"] ?? 0)
        }
    }

    /// One drain of a pre-filled queue.
    struct Drain: Codable, Sendable {
        /// `fixed` or `rolling`.
        var mode: String
        /// The fixed counters' layout, `keys` or `buckets` (`detection.counters`); nil for a rolling drain.
        var counters: String?
        /// Hashes per window with `counters: buckets`.
        var buckets: Int?
        /// Entries of the workload's scenario pre-filled.
        var entries: Int
        /// Requests of the sentinel address queued before them, popped last; its block marks the end.
        var sentinelEntries: Int
        /// Time to pre-fill, seconds, and its rate.
        var prefillSeconds: Double
        var prefillRate: Double
        /// Launch of the worker to its first pop, seconds (not part of the drain time).
        var startupSeconds: Double
        /// First pop to the last batch written (the sentinel's block event), seconds.
        var seconds: Double
        /// `(entries + sentinelEntries) / seconds`: addresses per second.
        var rate: Double
        /// First pop to the first `LLEN` of 0 (seen by a poll every 10 ms), seconds: the last pop, before its
        /// batch is written.
        var secondsToEmptyQueue: Double
        /// Entries the worker reports processed (`STATUS=processed …`); must equal entries + sentinelEntries.
        var processed: Int
        /// Entries it rejected; must be 0.
        var rejected: Int
        /// What Redis holds for them: the fixed counters' sum (must equal every entry), or the rolling sets'
        /// members (must equal ``expectedStored``, each unit keeping at most threshold+1).
        var stored: Int
        var expectedStored: Int
        /// Units blocked, and how many the ground truth says should be (the sentinel included).
        var blocked: Int
        var expectedBlocked: Int
        /// Counter keys or hash fields (fixed) or sets (rolling) the worker created: the tracked units.
        var trackedUnits: Int
        /// Growth of Redis's `used_memory` from the empty database to the drained one, bytes, and per unit.
        var usedMemoryGrowth: Int
        var usedMemoryPerUnit: Double
        /// CPU during the drain.
        var cpu: CPUShare
        /// What Redis executed during the drain.
        var commands: CommandCounts
        /// The worker's memory after the drain.
        var workerMemory: WorkerMemory?
    }

    /// The detection-latency run: a steady paced feed with a worker running.
    struct Latency: Codable, Sendable {
        /// Requests per second asked for, and sent per second in fact.
        var offeredRate: Double
        var achievedRate: Double
        /// The feed sends what is due every this many milliseconds, in one pipeline: bursts of
        /// `offeredRate × pacingMilliseconds / 1000` entries.
        var pacingMilliseconds: Double
        /// Length of the feed, seconds, and requests sent.
        var seconds: Double
        var sent: Int
        /// Entries the worker reports processed; must equal ``sent``.
        var processed: Int
        /// Units whose threshold-th request was sent.
        var crossings: Int
        /// Crossings with a block event: the latency samples.
        var measured: Int
        /// Crossings left out because a fixed-window boundary fell near them (the worker counts per window).
        var excludedNearWindowBoundary: Int
        /// Crossings without a block event by the end.
        var missing: Int
        /// Of the latency, the part until the worker read its clock for the batch that counted the request
        /// (the block event's `at`, whole milliseconds of the wall clock): waiting in Redis's list and the pop.
        /// The rest is counting, the ban script and the event's way back.
        var toBatchP50Milliseconds: Double?
        var toBatchP99Milliseconds: Double?
        /// Detection latency, milliseconds: nearest-rank percentiles of the exact samples.
        var p50Milliseconds: Double?
        var p90Milliseconds: Double?
        var p99Milliseconds: Double?
        var maxMilliseconds: Double?
        /// Largest `LLEN` seen while feeding (sampled every ``queueSampleMilliseconds``), and how many samples.
        var maxQueueLength: Int
        var queueSamples: Int
        var queueSampleMilliseconds: Double
        /// `LLEN` when the feed ended, and the time from then until the worker had emptied the queue, seconds.
        var queueLengthAtEnd: Int
        var drainAfterFeedSeconds: Double
        /// CPU while feeding.
        var cpu: CPUShare
        /// What Redis executed while feeding.
        var commands: CommandCounts
        /// The worker's memory once it was ready, before any traffic, and after the run.
        var workerIdleMemory: WorkerMemory?
        var workerMemory: WorkerMemory?
    }

    var machine: Machine
    var workload: Workload
    var targets = Targets()
    var fixed: Drain
    /// The fixed drain again with `counters: buckets`.
    var buckets: Drain
    var rolling: Drain
    var latency: Latency
    /// `redis-benchmark`'s rate for pipelined INCR on the same server, and the command it ran; nil when
    /// redis-benchmark is not installed.
    var redisBenchmarkINCR: Double?
    var redisBenchmarkCommand: String
    /// The ceilings the drains are held against, each `redis-benchmark` with the same pipelining as
    /// ``redisBenchmarkCommand``: a new key with an expiry per request (`SET … PX`, what a new unit costs with
    /// `counters: keys` or in rolling mode), and `HINCRBY` of a new field in one of as many hashes as the bucketed
    /// drain used (what a new unit costs with `counters: buckets`).
    var ceilings: [Ceiling] = []

    /// One `redis-benchmark` ceiling.
    struct Ceiling: Codable, Sendable {
        /// `set-px` or `hincrby`.
        var name: String
        /// The command line, without the server's address.
        var command: String
        /// Requests per second; nil when redis-benchmark is not installed.
        var rate: Double?
    }
    /// The largest `VmHWM` of the three worker processes, bytes.
    var workerPeakResidentBytes: Int?

    /// The report as pretty-printed JSON with sorted keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
