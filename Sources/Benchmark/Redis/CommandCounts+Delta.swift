extension WorkerBenchReport.CommandCounts {
    /// What was executed between `earlier` and this reading; commands not run in between are left out.
    func since(_ earlier: Self) -> Self {
        var delta = Self(calls: [:], microseconds: [:])
        for (name, calls) in self.calls {
            let difference = calls - (earlier.calls[name] ?? 0)
            guard difference > 0 else { continue }
            delta.calls[name] = difference
            delta.microseconds[name] = (microseconds[name] ?? 0) - (earlier.microseconds[name] ?? 0)
        }
        return delta
    }

    /// The commands run at least once per `per` on average, as `NAME ratio` by falling ratio, leaving out the
    /// benchmark's own (`llen`, `info`, the feeder's `lpush`): what the worker sends per pop.
    func perUnit(_ per: Int) -> String {
        guard per > 0 else { return "-" }
        let own: Set<String> = [
            "llen", "lpush", "info", "scan", "mget", "zcard", "scard", "flushdb", "unlink", "hello", "client|setname",
            "ping", "subscribe",
        ]
        return calls.filter { !own.contains($0.key) && $0.value * 10 >= per }
            .sorted { $0.value > $1.value }
            .map { "\($0.key.uppercased()) \(Self.ratio(Double($0.value) / Double(per)))" }
            .joined(separator: ", ")
    }

    /// A ratio with one decimal below 10, whole above.
    private static func ratio(_ value: Double) -> String {
        value >= 10 ? String(Int(value.rounded())) : String(Double(Int((value * 10).rounded())) / 10)
    }
}
