/// The sample names a worker's scrape shows, each with the label names its samples carry.
public struct ExportedSeries: Sendable {
    /// Label names by sample name: `ipwatcher_batch_size_bucket` → `["le"]`, `ipwatcher_blocks_total` → `[]`.
    public let labels: [String: Set<String>]

    /// Reads series as a scrape writes them: `name` or `name{a="x",b="y"}`.
    public init(seriesKeys: some Sequence<String>) {
        var labels: [String: Set<String>] = [:]
        for key in seriesKeys {
            let name = String(key.prefix { $0 != "{" })
            let names = key.dropFirst(name.count).matches(of: #/([a-zA-Z_][a-zA-Z0-9_]*)="/#).map { String($0.output.1) }
            labels[name, default: []].formUnion(names)
        }
        self.labels = labels
    }
}
