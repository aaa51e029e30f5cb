/// The kind of lines a replay reads.
public enum ReplayFormat: String, Sendable, Hashable, CaseIterable {
    /// Decided by the first line either format reads: `combined` when it is an access-log line, else `entries`.
    case auto
    /// Queue entries as producers push them: `ADDRESS` or `ADDRESS EPOCH_MS` (``QueueEntryParser``).
    case entries
    /// Web-server access logs in the common or combined format (nginx's and Apache's default):
    /// `ADDRESS - user [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 …`.
    case combined

}
