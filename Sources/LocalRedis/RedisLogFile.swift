import Foundation

/// The log a private redis-server writes into its directory, read to explain failures and confirm startup.
///
/// Reads start at an offset recorded before each launch, because a restarted server appends to the same file
/// and lines from an earlier run must neither count as readiness nor be blamed for a new failure.
struct RedisLogFile: Sendable {
    let path: String

    /// Current size, used as the starting offset for the next launch.
    func size() -> UInt64 {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? NSNumber
        else { return 0 }
        return size.uint64Value
    }

    /// Everything written since `offset`, or an empty string if the file is missing.
    func text(since offset: UInt64) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: offset)
            let data = try handle.readToEnd() ?? Data()
            return String(decoding: data, as: UTF8.self)
        } catch {
            return ""
        }
    }

    /// The last lines written since `offset`, formatted to end an error message.
    func tail(since offset: UInt64, maxLines: Int = 20) -> String {
        let lines = text(since: offset).split(separator: "\n", omittingEmptySubsequences: true)
        guard !lines.isEmpty else { return "(\(path) is empty)" }
        return "last lines of \(path):\n" + lines.suffix(maxLines).joined(separator: "\n")
    }

    /// Whether the server reported a port already taken since `offset`, the one startup failure worth retrying with new ports.
    func reportsAddressInUse(since offset: UInt64) -> Bool {
        text(since: offset).contains("Address already in use")
    }

    /// Whether the server logged that it accepts connections since `offset`.
    ///
    /// Redis 7.0 writes "The server is now ready to accept connections", 6.x and 7.2 "Ready to accept connections".
    func reportsReady(since offset: UInt64) -> Bool {
        text(since: offset).lowercased().contains("ready to accept connections")
    }
}
