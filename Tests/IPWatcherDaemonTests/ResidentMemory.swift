import Foundation

/// A process's resident memory from `/proc/<pid>/status`. Linux only; nil where the file is missing or the
/// process has ended.
enum ResidentMemory {
    /// Resident set now (`VmRSS`), in bytes.
    static func current(pid: Int32) -> Int? { bytes(field: "VmRSS:", pid: pid) }

    /// Highest resident set since the process started (`VmHWM`), in bytes.
    static func peak(pid: Int32) -> Int? { bytes(field: "VmHWM:", pid: pid) }

    private static func bytes(field: String, pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field) {
            // "VmHWM:	  123456 kB"
            let number = line.dropFirst(field.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first
            return number.flatMap { Int($0) }.map { $0 * 1024 }
        }
        return nil
    }
}
