#if canImport(Glibc)
import Glibc
#endif

/// Why `ipwatcher bench` stopped: every one of them is a failed benchmark, never a number to report.
public enum WorkerBenchError: Error, CustomStringConvertible {
    /// A system call failed.
    case system(String, errno: Int32)
    /// The worker subprocess ended before the benchmark stopped it; carries the end of its log.
    case workerExited(run: String, status: String, log: String)
    /// The worker did not get somewhere in time; carries the end of its log.
    case workerTimedOut(run: String, waitingFor: String, log: String)
    /// Entries went missing: the worker or Redis accounts for fewer (or more) than were queued.
    case entriesLost(run: String, detail: String)
    /// The prefill or feed did not put what it should on the queue.
    case feedIncomplete(run: String, detail: String)
    /// The benchmark's namespace on a given server holds a key of the wrong kind, or similar.
    case redis(String)

    /// The message printed when the benchmark fails.
    public var description: String {
        switch self {
        case .system(let call, let code):
            return "\(call): \(String(cString: strerror(code)))"
        case .workerExited(let run, let status, let log):
            return "\(run): the worker exited unexpectedly (\(status)); its log ends:\n\(log)"
        case .workerTimedOut(let run, let what, let log):
            return "\(run): timed out waiting for \(what); the worker's log ends:\n\(log)"
        case .entriesLost(let run, let detail):
            return "\(run): ENTRIES LOST: \(detail)"
        case .feedIncomplete(let run, let detail):
            return "\(run): the feed is incomplete: \(detail)"
        case .redis(let detail):
            return detail
        }
    }
}
