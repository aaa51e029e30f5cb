import Detection
import RESP
import RedisClient

extension TopCollector {
    /// Keys found by a capped `SCAN`.
    struct ScanResult {
        /// The keys, in the order found.
        var keys: [String]
        /// Whether the scan stopped at its cap before walking the whole keyspace.
        var capped: Bool
    }

    /// `rule`'s view at `now`: the units counting in its current window (both windows for a sliding rule), read in
    /// whichever layout and mode the settings name, the blocked ones left out, the rest highest count first.
    func ruleView(_ rule: DetectionRule, on client: some RedisCommandExecutor, now: Int64) async throws
        -> TopSnapshot.RuleView
    {
        var (names, capped) = try await unitsCounting(under: rule, on: client, now: now)
        var notes: [String] = []
        if capped { notes.append("scan stopped at \(limits.scanKeys) keys") }
        if names.count > limits.units {
            notes.append("read the first \(limits.units) of \(names.count) units")
            names.removeLast(names.count - limits.units)
        }
        let states = try await RuleCountReader(settings: settings).states(of: names, under: rule, on: client, now: now)
        var counting = zip(names, states).compactMap { name, state in
            state.count > 0 ? TopSnapshot.UnitCount(unit: name, count: state.count) : nil
        }
        counting.sort { $0.count != $1.count ? $0.count > $1.count : $0.unit < $1.unit }
        let blocked = try await blockedUnits(counting.map(\.unit), on: client)
        let nearest = counting.filter { !blocked.contains($0.unit) }.prefix(limits.shownPerRule)
        return TopSnapshot.RuleView(
            rule: rule, nearest: Array(nearest), unitsCounted: counting.count, blockedLeftOut: blocked.count,
            capNote: notes.isEmpty ? nil : "partial: " + notes.joined(separator: "; "))
    }

    /// The names of the units with a counter of `rule`'s in Redis at `now`, and whether a scan hit its cap.
    func unitsCounting(under rule: DetectionRule, on client: some RedisCommandExecutor, now: Int64) async throws
        -> (names: [String], capped: Bool)
    {
        let keys = settings.keys
        let window = rule.fixedWindow.index(of: now)
        let windows = rule.mode == .sliding ? [window, window - 1] : [window]
        var names: [String] = []
        var capped = false
        switch (rule.mode, settings.detection.counters) {
        case (.rolling, _):
            let prefix = keys.rollingKeyPrefix(windowSeconds: rule.windowSeconds)
            let found = try await scan(prefix: prefix, on: client)
            names = found.keys.map { String($0.dropFirst(prefix.count)) }
            capped = found.capped
        case (_, .keys):
            for index in windows {
                let prefix = keys.fixedCounterKeyPrefix(windowSeconds: rule.windowSeconds, windowIndex: index)
                let found = try await scan(prefix: prefix, on: client)
                names += found.keys.map { String($0.dropFirst(prefix.count)) }
                capped = capped || found.capped
            }
        case (_, .buckets):
            for index in windows {
                let prefix = keys.bucketKeyPrefix(windowSeconds: rule.windowSeconds, windowIndex: index)
                let found = try await scan(prefix: prefix, on: client)
                names += try await fields(of: found.keys, on: client)
                capped = capped || found.capped
            }
        }
        var seen = Set<String>()
        return (names.filter { seen.insert($0).inserted }, capped)
    }

    /// The keys starting with `prefix`, from a `SCAN` that walks at most ``Limits/scanKeys`` keys.
    func scan(prefix: String, on client: some RedisCommandExecutor) async throws -> ScanResult {
        let pattern = Self.globEscaped(prefix) + "*"
        var cursor = "0"
        var walked = 0
        var keys: [String] = []
        repeat {
            let reply = try await client.send("SCAN", cursor, "MATCH", pattern, "COUNT", 1000).throwingServerError()
            let parts = reply.array.map(Array.init) ?? []
            guard parts.count == 2, let next = parts[0].string, let found = parts[1].array else {
                throw RedisError.unexpectedReply(command: "SCAN", reply: "\(reply)")
            }
            keys += found.compactMap(\.string)
            cursor = next
            walked += 1000
        } while cursor != "0" && walked < limits.scanKeys
        return ScanResult(keys: keys, capped: cursor != "0")
    }

    /// The fields (unit names) of the counter hashes `keys`, read with `HKEYS` in pipelines.
    func fields(of keys: [String], on client: some RedisCommandExecutor) async throws -> [String] {
        var names: [String] = []
        for start in stride(from: 0, to: keys.count, by: RuleCountReader.pipelineLimit) {
            var encoder = RESPCommandEncoder()
            for key in keys[start..<min(start + RuleCountReader.pipelineLimit, keys.count)] {
                encoder.encode("HKEYS", key)
            }
            for reply in try await client.pipeline(encoder) {
                names += (try reply.throwingServerError().array.map(Array.init) ?? []).compactMap(\.string)
            }
        }
        return names
    }

    /// Which of `units` are in the blocklist set, asked with `SISMEMBER` in pipelines.
    func blockedUnits(_ units: [String], on client: some RedisCommandExecutor) async throws -> Set<String> {
        var blocked = Set<String>()
        for start in stride(from: 0, to: units.count, by: RuleCountReader.pipelineLimit) {
            let chunk = units[start..<min(start + RuleCountReader.pipelineLimit, units.count)]
            var encoder = RESPCommandEncoder()
            for unit in chunk { encoder.encode("SISMEMBER", settings.blocklistKey, unit) }
            for (unit, reply) in zip(chunk, try await client.pipeline(encoder)) {
                let member = try reply.throwingServerError()
                if member.int == 1 || member.bool == true { blocked.insert(unit) }
            }
        }
        return blocked
    }

    /// `text` with the characters `SCAN MATCH` treats as a pattern (`*?[]\`) escaped, so a key prefix holding
    /// them matches only itself.
    static func globEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "*?[]\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
