#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's limit on open file descriptors (`RLIMIT_NOFILE`): the soft limit in force and the hard limit
/// it may be raised to without privileges.
///
/// Many systems start processes at a soft limit of 1,024 for the sake of `select()`, which the worker never
/// uses. At 1,024 a flood of connections to the metrics endpoint, or a large cluster, could leave no descriptor
/// for reconnecting to Redis, so `ipwatcher run` raises the soft limit to the hard one at start.
public struct DescriptorLimit: Sendable, Hashable, CustomStringConvertible {
    /// The limit in force; `UInt64.max` for unlimited.
    public var soft: UInt64
    /// The ceiling of the soft limit; `UInt64.max` for unlimited.
    public var hard: UInt64

    /// The soft limit asked for when the hard limit is unlimited: Linux refuses a descriptor limit above
    /// `fs.nr_open`, 1,048,576 by default.
    public static let unlimitedCeiling: UInt64 = 1 << 20

    /// Creates a limit.
    public init(soft: UInt64, hard: UInt64) {
        self.soft = soft
        self.hard = hard
    }

    /// The soft limit to raise to: the hard limit, capped at `ceiling`; nil when the soft limit is already there.
    public func raisedSoftLimit(ceiling: UInt64 = DescriptorLimit.unlimitedCeiling) -> UInt64? {
        let target = min(hard, ceiling)
        return target > soft ? target : nil
    }

    public var description: String {
        func text(_ value: UInt64) -> String { value == UInt64.max ? "unlimited" : String(value) }
        return "\(text(soft)) (hard limit \(text(hard)))"
    }

    /// The process's current limit.
    /// - Throws: ``DescriptorLimitError`` with the system's reason.
    public static func current() throws(DescriptorLimitError) -> DescriptorLimit {
        var limit = rlimit()
        guard getrlimit(resourceNumber, &limit) == 0 else {
            throw DescriptorLimitError(operation: "getrlimit", reason: String(cString: strerror(errno)))
        }
        return DescriptorLimit(soft: value(limit.rlim_cur), hard: value(limit.rlim_max))
    }

    /// Raises the process's soft limit to its hard limit (see ``raisedSoftLimit(ceiling:)``) and returns the
    /// limit before and after; equal when there was nothing to raise.
    /// - Throws: ``DescriptorLimitError`` when the limit cannot be read or set, with the system's reason.
    @discardableResult
    public static func raiseSoftLimitToHard() throws(DescriptorLimitError) -> (before: DescriptorLimit, after: DescriptorLimit) {
        let before = try current()
        guard let target = before.raisedSoftLimit() else { return (before, before) }
        var limit = rlimit(rlim_cur: rlim_t(target), rlim_max: before.hard == UInt64.max ? infinity : rlim_t(before.hard))
        guard setrlimit(resourceNumber, &limit) == 0 else {
            throw DescriptorLimitError(
                operation: "setrlimit to \(target)", reason: String(cString: strerror(errno)))
        }
        return (before, try current())
    }

    #if canImport(Glibc)
    private static let resourceNumber = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    // glibc's RLIM_INFINITY is `(rlim_t) -1`, which Swift does not import.
    private static let infinity = rlim_t.max
    #else
    private static let resourceNumber = RLIMIT_NOFILE
    private static let infinity = RLIM_INFINITY
    #endif

    private static func value(_ raw: rlim_t) -> UInt64 {
        raw == infinity ? UInt64.max : UInt64(raw)
    }
}

/// The open-file limit (`RLIMIT_NOFILE`) could not be read or raised.
///
/// Not fatal: the worker runs on at the limit it has, which a unit's `LimitNOFILE=` or `ulimit -n` can raise.
public struct DescriptorLimitError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was attempted: `getrlimit`, `setrlimit to 65536`.
    public let operation: String
    /// The system's reason: `Operation not permitted`.
    public let reason: String

    public var description: String { "cannot raise the open-file limit: \(operation): \(reason)" }
}
