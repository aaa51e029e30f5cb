#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Names a worker's processing hash, which is how a restarted worker finds the batches it had in hand.
///
/// The default must come out the same after a restart (a random one would orphan the batches of the run that
/// crashed) and differ between workers that consume different queues on one host, hence the host name plus a
/// hash of the queue key and the key prefix. Several workers on one queue and host need an id each
/// (`queue.worker_id`, e.g. the instance name of a templated systemd unit).
public enum WorkerID {
    /// Longest id accepted; it becomes part of Redis key names.
    public static let maximumLength = 128

    /// `<host name>-<8 hex digits>`, the digits a hash of `queueKey` and `keyPrefix`.
    public static func defaultID(queueKey: String, keyPrefix: String) -> String {
        let host = hostName().filter { problem(with: String($0)) == nil }
        return "\(host.isEmpty ? "worker" : host)-\(hexHash(queueKey + "\u{0}" + keyPrefix))"
    }

    /// Why `id` cannot name a worker, or nil when it can: it must be non-empty, at most ``maximumLength``
    /// characters, and made of letters, digits and `-_.@` only, so that every key built from it is predictable.
    public static func problem(with id: String) -> String? {
        if id.isEmpty { return "must not be empty" }
        if id.count > maximumLength { return "must be at most \(maximumLength) characters" }
        let allowed = id.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", "@": return true
            default: return false
            }
        }
        return allowed ? nil : "may hold only letters, digits and - _ . @"
    }

    /// The host name as `gethostname` reports it; "" if it cannot.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// 32-bit FNV-1a of `text` as 8 lowercase hex digits: short, stable across runs and platforms.
    static func hexHash(_ text: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
