/// One counter of ``InMemoryDetector``: what the worker's fixed-window keys or rolling logs hold in Redis, held in
/// memory for the rules that read it.
struct InMemoryCounter: Sendable {
    /// One fixed window's counts, by unit.
    private struct WindowCounts: Sendable {
        var index: Int64
        var counts: [DetectionUnit: Int]
    }

    /// What the detector needs of a rule reading this counter, without copying the rule per request.
    struct Reader: Sendable {
        /// The rule's index among the detector's rules.
        let rule: Int
        let threshold: Int
        let dryRun: Bool
        let sliding: Bool
    }

    /// What one request left in the counter: the unit's count, and for a fixed counter its windows around.
    struct Reading {
        /// The count in the request's window (fixed) or the last window length (rolling), capped as the worker caps.
        var current: Int
        /// The count in the window before (fixed counters read by a sliding rule; else 0).
        var previous = 0
        /// The count in the window after, when the request came late (fixed counters read by a sliding rule).
        var next = 0
        /// The request's fixed window.
        var index: Int64 = 0
    }

    let counter: RuleCounter
    /// The rules reading this counter.
    let readers: [Reader]
    private let window: FixedWindow
    private let clock: EventClock
    /// Events a rolling log keeps: the largest cap of its rules.
    private let cap: Int
    private let readsNeighbours: Bool
    /// The windows a request may still count in or a sliding rule read, at most four; a window no request can
    /// reach any more is emptied (keeping its capacity) and reused for the next.
    private var windows: [WindowCounts] = []
    private var rolling: [DetectionUnit: [Int64]] = [:]
    private var prunedAt: Int64 = .min

    /// A counter for `rules` (indices into `allRules`).
    init(counter: RuleCounter, rules: [Int], allRules: [DetectionRule]) {
        self.counter = counter
        readers = rules.map { index in
            let rule = allRules[index]
            return Reader(rule: index, threshold: rule.threshold, dryRun: rule.dryRun, sliding: rule.mode == .sliding)
        }
        window = FixedWindow(lengthSeconds: counter.windowSeconds)
        clock = EventClock(windowMilliseconds: window.lengthMilliseconds)
        cap = rules.map { allRules[$0].rollingCap }.max() ?? 1
        readsNeighbours = rules.contains { allRules[$0].mode == .sliding }
    }

    /// Counts `unit`'s request at `time` when the clock at `now` takes it, and returns what the counter then
    /// holds; nil when the request is too old for this counter's window.
    mutating func add(_ unit: DetectionUnit, at time: Int64, now: Int64) -> Reading? {
        guard case .current = clock.classify(eventTime: time, now: now) else { return nil }
        switch counter.mode {
        case .rolling:
            return Reading(current: addRolling(unit, at: time, now: now))
        case .fixed, .sliding:
            let index = window.index(of: time)
            let slot = slot(of: index, now: now)
            var reading = Reading(current: Self.increment(&windows[slot].counts[unit, default: 0]))
            reading.index = index
            if readsNeighbours {
                reading.previous = count(of: unit, in: index - 1)
                if index < window.index(of: now) { reading.next = count(of: unit, in: index + 1) }
            }
            return reading
        }
    }

    /// `reader`'s reading of `reading` for a request at `time`: its count before and after the request.
    func read(_ reading: Reading, by reader: Reader, at time: Int64, now: Int64) -> (before: Int, after: Int) {
        guard reader.sliding else { return (reading.current - 1, reading.current) }
        func estimate(_ current: Int) -> Int {
            SlidingWindowEstimate.reading(
                current: current, previous: reading.previous, next: reading.next, window: window, index: reading.index,
                latest: time, now: now)
        }
        return (estimate(reading.current - 1), estimate(reading.current))
    }

    @inline(__always)
    private static func increment(_ count: inout Int) -> Int {
        count += 1
        return count
    }

    /// `unit`'s count in window `index`, 0 when that window is not held.
    private func count(of unit: DetectionUnit, in index: Int64) -> Int {
        for held in windows where held.index == index { return held.counts[unit] ?? 0 }
        return 0
    }

    /// The position in ``windows`` of window `index`, made when new: in place of a window older than the one
    /// before the oldest a current request may fall in (a sliding rule reads that one as its previous window).
    private mutating func slot(of index: Int64, now: Int64) -> Int {
        for position in windows.indices where windows[position].index == index { return position }
        let oldestKept = window.index(of: now) - 2
        if let stale = windows.indices.min(by: { windows[$0].index < windows[$1].index }),
            windows[stale].index < oldestKept || windows.count >= 4
        {
            windows[stale].index = index
            windows[stale].counts.removeAll(keepingCapacity: true)
            return stale
        }
        windows.append(WindowCounts(index: index, counts: [:]))
        return windows.count - 1
    }

    /// Adds `time` to `unit`'s log, keeping the newest ``cap`` times of the last window, and returns how many it holds.
    private mutating func addRolling(_ unit: DetectionUnit, at time: Int64, now: Int64) -> Int {
        let cutoff = now.saturatingSubtract(window.lengthMilliseconds)
        if now.saturatingSubtract(prunedAt) >= window.lengthMilliseconds {
            prunedAt = now
            rolling = rolling.filter { ($0.value.last ?? .min) >= cutoff }
        }
        return Self.insert(time, cutoff: cutoff, cap: cap, into: &rolling[unit, default: []])
    }

    private static func insert(_ time: Int64, cutoff: Int64, cap: Int, into times: inout [Int64]) -> Int {
        // Sorted; requests come almost in order, so the place is found from the end.
        var position = times.endIndex
        while position > times.startIndex && times[position - 1] > time { position -= 1 }
        times.insert(time, at: position)
        var drop = 0
        while drop < times.count && times[drop] < cutoff { drop += 1 }
        drop = max(drop, times.count - cap)
        if drop > 0 { times.removeFirst(drop) }
        return times.count
    }
}
