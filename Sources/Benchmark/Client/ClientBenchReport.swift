import Foundation

/// Results of `ipwatcher bench client`, as a table for people and JSON for machines.
public struct ClientBenchReport: Codable, Sendable {
    /// The server measured.
    public var endpoint: String
    /// The `requests` the benchmark ran with.
    public var requests: Int
    /// The `pipeline` the benchmark ran with.
    public var pipeline: Int
    /// The `connections` the benchmark ran with.
    public var connections: Int
    /// The `roundTrips` the benchmark ran with.
    public var roundTrips: Int
    /// Our pipelined INCR rate, commands per second.
    public var clientINCR: Double = 0
    /// redis-benchmark's rate for the same workload; nil when redis-benchmark is missing.
    public var redisBenchmarkINCR: Double?
    /// Our SET/GET rate, one command at a time.
    public var clientSETGET: Double = 0
    /// redis-benchmark's SET/GET rate with one client and no pipelining.
    public var redisBenchmarkSETGET: Double?

    /// Our INCR rate over redis-benchmark's, when it ran.
    public var incrRatio: Double? { redisBenchmarkINCR.map { $0 > 0 ? clientINCR / $0 : 0 } }
    /// Our SET/GET rate over redis-benchmark's, when it ran.
    public var setGetRatio: Double? { redisBenchmarkSETGET.map { $0 > 0 ? clientSETGET / $0 : 0 } }

    /// The report as a table for people.
    public var table: String {
        func rate(_ value: Double?) -> String { value.map { String(format: "%12.0f/s", $0) } ?? "   (missing)" }
        func ratio(_ value: Double?) -> String { value.map { String(format: "%6.1f%%", $0 * 100) } ?? "     -" }
        return """
            ipwatcher bench client — \(endpoint)
            workload                                   ipwatcher   redis-benchmark   ratio
            INCR, \(requests) over \(connections) conn × pipeline \(pipeline)    \(rate(clientINCR))    \(rate(redisBenchmarkINCR))  \(ratio(incrRatio))
            SET/GET round trips, 1 conn, \(roundTrips)           \(rate(clientSETGET))    \(rate(redisBenchmarkSETGET))  \(ratio(setGetRatio))
            """
    }

    /// The report as JSON, ratios included.
    public var json: String {
        struct Output: Codable {
            var report: ClientBenchReport
            /// Our INCR rate over redis-benchmark's, when it ran.
    public var incrRatio: Double?
            var setGetRatio: Double?
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = (try? encoder.encode(Output(report: self, incrRatio: incrRatio, setGetRatio: setGetRatio))) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
