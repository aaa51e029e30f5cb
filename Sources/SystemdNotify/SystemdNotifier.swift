import CSystemd

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Sends sd_notify messages to systemd; does nothing (cheaply) when not run by systemd (NOTIFY_SOCKET unset).
///
/// The notifier holds no state: libsystemd's `sd_notify` reads `NOTIFY_SOCKET` at every call,
/// so a value can be created once and shared freely across tasks. Every call is fire-and-forget:
/// a failed send (socket gone, systemd restarting) is deliberately swallowed, because a missed
/// status update must never take the daemon down, and the contract has no channel to report it.
///
/// The environment is never modified (`unset_environment = 0`), so later calls, and the
/// watchdog query, keep working for the whole lifetime of the process.
public struct SystemdNotifier: Sendable {
    private let enabled: Bool

    /// Creates a notifier; `enabled: false` makes one that never sends and never reads the environment.
    ///
    /// Reads nothing yet: whether systemd is listening is decided at each call, which keeps
    /// creation free and lets tests change `NOTIFY_SOCKET` after the notifier exists. A disabled notifier
    /// is for workers run inside another program (tests, the demo), which must not talk to that
    /// program's service manager.
    public init(enabled: Bool = true) {
        self.enabled = enabled
    }

    /// Whether `NOTIFY_SOCKET` is set (and non-empty), i.e. whether messages go anywhere.
    ///
    /// An empty value counts as unset because `sd_notify` rejects it as an invalid address.
    public var isEnabled: Bool {
        guard enabled, let value = getenv("NOTIFY_SOCKET") else { return false }
        return value.pointee != 0
    }

    /// Reports start-up complete: `READY=1`, plus `STATUS=<status>` when given.
    ///
    /// Both assignments travel in one datagram so systemd never shows the service as ready
    /// with a stale status line. Newlines in `status` are replaced by spaces (see ``status(_:)``).
    public func ready(status: String? = nil) {
        guard isEnabled else { return }
        send(Self.message("READY=1", status: status))
    }

    /// Sets the free-form status line shown by `systemctl status`: `STATUS=<text>`.
    ///
    /// Newlines (including `\r`) and NUL bytes in `text` become spaces, since systemd splits
    /// assignments on newlines and the C string ends at NUL; either would otherwise cut the
    /// status short or inject a bogus assignment.
    public func status(_ text: String) {
        guard isEnabled else { return }
        send("STATUS=" + Self.sanitized(text))
    }

    /// Reports that the service is reloading its configuration: `RELOADING=1\nMONOTONIC_USEC=<µs>`.
    ///
    /// `MONOTONIC_USEC` is the current `CLOCK_MONOTONIC` time in microseconds; systemd ≥ 253
    /// requires it with `RELOADING=1` for `Type=notify-reload` (to tell this reload apart from
    /// earlier ones) and older versions ignore it. Follow with ``ready(status:)`` when done.
    public func reloading() {
        guard isEnabled else { return }
        send("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())")
    }

    /// Reports that shutdown has begun: `STOPPING=1`, plus `STATUS=<status>` when given.
    ///
    /// Newlines in `status` are replaced by spaces (see ``status(_:)``).
    public func stopping(status: String? = nil) {
        guard isEnabled else { return }
        send(Self.message("STOPPING=1", status: status))
    }

    /// Pings the service watchdog: `WATCHDOG=1`.
    ///
    /// Send it every ``watchdogInterval`` — and only while the daemon is actually making
    /// progress (see ``WatchdogProgress``), otherwise the watchdog cannot detect a wedged loop.
    public func watchdog() {
        send("WATCHDOG=1")
    }

    /// Sends `message` verbatim, e.g. `"EXTEND_TIMEOUT_USEC=5000000"`.
    ///
    /// No sanitising happens here: the caller owns the newline-separated `KEY=value` format.
    /// The text ends at the first NUL byte, as it is handed to C.
    public func send(_ message: String) {
        guard isEnabled else { return }
        // The result is ignored on purpose: see the type's documentation.
        _ = sd_notify(0, message)
    }

    /// How often to send ``watchdog()``: half of `WATCHDOG_USEC`, or nil when no watchdog applies.
    ///
    /// Nil when `WATCHDOG_USEC` is unset or invalid, or when `WATCHDOG_PID` names another
    /// process (the watchdog then belongs to that process, e.g. a parent that exec'd us).
    /// Half the timeout is systemd's recommended ping period: it leaves a full period of slack
    /// for scheduling delays before systemd declares the service hung.
    public var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        // > 0: enabled for this process; 0: not enabled; < 0: malformed variables.
        guard enabled, sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(usec) / 2
    }

    /// Joins `assignment` and an optional sanitised `STATUS=` line into one message.
    private static func message(_ assignment: String, status: String?) -> String {
        guard let status else { return assignment }
        return assignment + "\nSTATUS=" + sanitized(status)
    }

    /// Replaces characters that would break the newline-separated, NUL-terminated format.
    private static func sanitized(_ text: String) -> String {
        // Character.isNewline also covers "\r\n" as one grapheme, so it yields a single space.
        String(text.map { $0.isNewline || $0 == "\0" ? " " : $0 })
    }

    /// The current `CLOCK_MONOTONIC` time in microseconds, the clock systemd compares against.
    private static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        // CLOCK_MONOTONIC cannot fail on Linux; a zeroed timespec is the harmless fallback.
        _ = clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
