import Foundation

/// Names this worker process among others on the same queue.
enum WorkerIdentity {
    /// Host name and process id: unique among running workers, and readable in `CLIENT LIST` and logs.
    static var tag: String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    }
}
