import Foundation

/// What ``WebTierBenchmark`` measured.
public struct WebTierBenchReport: Codable, Sendable {
    /// Smallest, median, 99th percentile and largest of some samples.
    public struct Percentiles: Codable, Sendable {
        public var p50: Double
        public var p99: Double
        public var max: Double

        /// The percentiles of `samples` (nearest rank); zeros for none.
        init(_ samples: [Double]) {
            let sorted = samples.sorted()
            func rank(_ fraction: Double) -> Double {
                sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
            }
            p50 = rank(0.5)
            p99 = rank(0.99)
            max = sorted.last ?? 0
        }
    }

    /// The server measured against.
    public var endpoint: String
    /// Units in the blocklist the mirror loaded.
    public var units: Int
    /// Addresses per second the recorder got acknowledged by Redis.
    public var recorderRate: Double = 0
    /// Seconds from the mirror's start until its first load completed.
    public var mirrorLoadSeconds: Double = 0
    /// Units the mirror holds after the load.
    public var mirrorUnitsLoaded: Int = 0
    /// Growth of the process's anonymous memory over the load, per unit, bytes.
    public var mirrorBytesPerUnit: Double?
    /// One lookup, nanoseconds (two clock reads included).
    public var lookupNanoseconds = Percentiles([])
    /// From `PUBLISH` to the mirror answering blocked, milliseconds.
    public var stalenessMilliseconds = Percentiles([])

    /// A table for people.
    public var table: String {
        func number(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }
        return """
            ipwatcher bench web — \(endpoint)
            recorder into Redis            \(number(recorderRate)) addresses/s
            mirror load, \(units) units    \(number(mirrorLoadSeconds, 2)) s, \
            \(mirrorBytesPerUnit.map { number($0) } ?? "?") bytes per unit (\(mirrorUnitsLoaded) loaded)
            mirror lookup                  p50 \(number(lookupNanoseconds.p50)) ns, p99 \(number(lookupNanoseconds.p99)) ns, \
            max \(number(lookupNanoseconds.max)) ns
            PUBLISH to mirror              p50 \(number(stalenessMilliseconds.p50, 3)) ms, \
            p99 \(number(stalenessMilliseconds.p99, 3)) ms, max \(number(stalenessMilliseconds.max, 3)) ms
            """
    }

    /// The report as JSON.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
