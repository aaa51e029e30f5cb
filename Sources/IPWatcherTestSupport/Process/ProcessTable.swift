import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The machine's processes, as `/proc` lists them: for checking that what a test started is gone again.
public enum ProcessTable {
    /// Pids of processes whose command line mentions `text`; empty where there is no /proc.
    ///
    /// LocalRedis starts redis-server with `set-proc-title no`, so its command line keeps the config path, which
    /// contains the server's directory: a directory name finds the server.
    public static func pids(mentioning text: String) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry),
                  let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { return nil }
            let commandLine = String(decoding: data.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
            return commandLine.contains(text) ? pid : nil
        }
    }

    /// Whether a process with this pid exists (a zombie counts; LocalRedis reaps its children, so none should be one).
    public static func exists(_ pid: Int32) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }
}
