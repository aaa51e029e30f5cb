import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Figures about processes and the machine read from Linux's `/proc`; nil wherever a file is missing or
/// unreadable (another OS, a process that ended, a Redis on another host).
enum ProcFS {
    /// Clock ticks per second, the unit of the CPU times in `/proc/<pid>/stat`.
    static let ticksPerSecond: Double = {
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return ticks > 0 ? Double(ticks) : 100
    }()

    /// User plus system CPU time the process has used so far, in clock ticks (fields 14 and 15 of
    /// `/proc/<pid>/stat`, counted after the parenthesised command name, which may hold spaces).
    static func cpuTicks(pid: Int32) -> UInt64? {
        guard let text = read("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        // After ")": state (field 3), ppid, … utime is field 14, stime field 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        return user + system
    }

    /// The whole machine's CPU time from the first line of `/proc/stat`, in clock ticks summed over all
    /// processors: `busy` (everything but idle, I/O wait and time stolen by a hypervisor) and `total`.
    static func machineTicks() -> (busy: UInt64, total: UInt64)? {
        guard let text = read("/proc/stat"), let line = text.split(separator: "\n").first, line.hasPrefix("cpu ")
        else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
        guard values.count >= 8 else { return nil }
        let total = values[0..<8].reduce(0, +)
        return (total - values[3] - values[4] - values[7], total)
    }

    /// The process's memory now, from `/proc/<pid>/status`: peak resident (`VmHWM`), and the resident set split
    /// into anonymous memory (`RssAnon`: heap, stacks) and file-backed pages (`RssFile`: the binary and the shared
    /// libraries' code and data). Nil once the process has exited.
    static func memory(pid: Int32) -> WorkerBenchReport.WorkerMemory? {
        let path = "/proc/\(pid)/status"
        guard let peak = kilobytes(field: "VmHWM:", in: path) else { return nil }
        return WorkerBenchReport.WorkerMemory(
            peakResidentBytes: peak * 1024,
            residentAnonymousBytes: kilobytes(field: "RssAnon:", in: path).map { $0 * 1024 },
            residentFileBytes: kilobytes(field: "RssFile:", in: path).map { $0 * 1024 })
    }

    /// The process's command name (`/proc/<pid>/comm`), such as `redis-server`.
    static func commandName(pid: Int32) -> String? {
        read("/proc/\(pid)/comm")?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The first `model name` of `/proc/cpuinfo`.
    static func cpuModel() -> String? {
        guard let text = read("/proc/cpuinfo") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    /// `MemTotal` of `/proc/meminfo`, in bytes.
    static func memoryTotalBytes() -> Int? {
        kilobytes(field: "MemTotal:", in: "/proc/meminfo").map { $0 * 1024 }
    }

    /// The value of a `Name:   1234 kB` line.
    private static func kilobytes(field: String, in path: String) -> Int? {
        guard let text = read(path) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field) {
            let parts = line.dropFirst(field.count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            return parts.first.flatMap { Int($0) }
        }
        return nil
    }

    /// A small /proc file as text. Foundation's file reading trusts the size stat reports, which is 0 here.
    private static func read(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
