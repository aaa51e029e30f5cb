/// Latency samples in milliseconds, kept whole and sorted: exact percentiles, no histogram buckets.
///
/// A run has at most a few hundred thousand samples (one per blocked unit), so sorting them is cheap.
struct LatencySamples: Sendable {
    /// The samples, ascending.
    let sorted: [Double]

    /// Sorts `samples`.
    init(_ samples: [Double]) {
        sorted = samples.sorted()
    }

    /// The nearest-rank percentile `p` (0 < p ≤ 100): the smallest sample with at least p% of the samples at
    /// or below it; nil without samples.
    func percentile(_ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]
    }

    /// The largest sample.
    var max: Double? { sorted.last }
}
