/// How the worker's log lines are written: `log.format` in the configuration.
public enum LogFormat: String, Sendable, Hashable, CaseIterable {
    /// `2026-01-02T03:04:05.678Z notice ipwatcher: message key="value"`: for people and for journald.
    case text
    /// One JSON object per line, `{"time":…,"level":…,"label":…,"message":…,<metadata>}`: for Loki, Elasticsearch
    /// and other shippers that parse fields.
    case json
}
