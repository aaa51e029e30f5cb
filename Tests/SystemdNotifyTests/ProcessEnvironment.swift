#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Temporarily sets or unsets process environment variables around a test body.
///
/// The environment is process-global, so suites using this must be `.serialized`.
enum ProcessEnvironment {
    /// The variables sd_notify and sd_watchdog_enabled read; tests pin all of them so a value
    /// inherited from the runner (e.g. when run under systemd) cannot leak into a result.
    static let systemdVariables = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"]

    /// Runs `body` with `overrides` applied (nil unsets), every other systemd variable unset,
    /// then restores all previous values, even when `body` throws.
    static func with<Result>(
        _ overrides: [String: String?],
        _ body: () throws -> Result
    ) rethrows -> Result {
        let names = Set(systemdVariables).union(overrides.keys)
        var saved: [String: String?] = [:]
        for name in names {
            saved[name] = getenv(name).map { String(cString: $0) }
        }
        defer {
            for (name, value) in saved { assign(name, value) }
        }
        for name in names { assign(name, overrides[name] ?? nil) }
        return try body()
    }

    private static func assign(_ name: String, _ value: String?) {
        if let value {
            setenv(name, value, 1)
        } else {
            unsetenv(name)
        }
    }
}
