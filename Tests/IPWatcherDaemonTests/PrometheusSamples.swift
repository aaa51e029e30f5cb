// Reads the Prometheus text the metrics endpoint serves. This file declares no suite.

/// The samples of a Prometheus text exposition by series, as written: `name` or `name{label="value"}`.
struct PrometheusSamples: Sendable, CustomStringConvertible {
    let values: [String: Double]
    /// The `# TYPE` of each metric family.
    let types: [String: String]
    /// The metric families that have a `# HELP` line.
    let helped: Set<String>

    init(_ text: String) {
        var values: [String: Double] = [:]
        var types: [String: String] = [:]
        var helped: Set<String> = []
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            if line.hasPrefix("# TYPE "), words.count == 4 {
                types[String(words[2])] = String(words[3])
            } else if line.hasPrefix("# HELP "), words.count >= 3 {
                helped.insert(String(words[2]))
            } else if !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
                let value = Double(line[line.index(after: space)...])
            {
                values[String(line[..<space])] = value
            }
        }
        self.values = values
        self.types = types
        self.helped = helped
    }

    /// The value of `series`; nil when it is missing.
    subscript(_ series: String) -> Double? { values[series] }

    var description: String {
        values.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "\n")
    }
}
