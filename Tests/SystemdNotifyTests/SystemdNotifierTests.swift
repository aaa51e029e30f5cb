import SystemdNotify
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Exercises SystemdNotifier against a real AF_UNIX datagram socket named by NOTIFY_SOCKET.
///
/// Serialized because every test rewrites the process environment.
@Suite("SystemdNotifier", .serialized)
struct SystemdNotifierTests {
    private let notifier = SystemdNotifier()

    @Test("ready with a status sends READY and STATUS in one datagram")
    func readyWithStatusIsOneDatagram() throws {
        let socket = try NotifySocketListener()
        try ProcessEnvironment.with(["NOTIFY_SOCKET": socket.path]) { () throws in
            notifier.ready(status: "waiting")
            #expect(try socket.receive() == ["READY=1\nSTATUS=waiting"])
        }
    }

    @Test("ready without a status sends only READY=1")
    func readyWithoutStatus() throws {
        let socket = try NotifySocketListener()
        try ProcessEnvironment.with(["NOTIFY_SOCKET": socket.path]) { () throws in
            notifier.ready()
            #expect(try socket.receive() == ["READY=1"])
        }
    }

    @Test("status sends STATUS with newlines, carriage returns and NULs replaced by spaces")
    func statusSanitizesNewlines() throws {
        let socket = try NotifySocketListener()
        try ProcessEnvironment.with(["NOTIFY_SOCKET": socket.path]) { () throws in
            notifier.status("line one\nline two\r\nthree\rfour\0five")
            #expect(try socket.receive() == ["STATUS=line one line two three four five"])
        }
    }

    @Test("a status that tries to inject an assignment stays a single STATUS line")
    func statusCannotInjectAssignments() throws {
        let socket = try NotifySocketListener()
        try ProcessEnvironment.with(["NOTIFY_SOCKET": socket.path]) { () throws in
            notifier.ready(status: "ok\nSTOPPING=1")
            #expect(try socket.receive() == ["READY=1\nSTATUS=ok STOPPING=1"])
        }
    }

    @Test("reloading sends RELOADING=1 with the current CLOCK_MONOTONIC time in microseconds")
    func reloadingCarriesMonotonicTimestamp() throws {
        let socket = try NotifySocketListener()
        try ProcessEnvironment.with(["NOTIFY_SOCKET": socket.path]) { () throws in
            let before = Self.monotonicMicroseconds()
            notifier.reloading()
            let after = Self.monotonicMicroseconds()

            let message = try #require(try socket.receive().first)
            let lines = message.split(separator: "\n", omittingEmptySubsequences: false)
            try #require(lines.count == 2)
            #expect(lines[0] == "RELOADING=1")
            #expect(lines[1].hasPrefix("MONOTONIC_USEC="))
            let stamp = try #require(UInt64(lines[1].dropFirst("MONOTONIC_USEC=".count)))
            #expect(stamp > 0)
            #expect(before <= stamp && stamp <= after)
        }
    }

    @Test("stopping sends STOPPING=1, with STATUS when given")
    func stoppingWithAndWithoutStatus() throws {
        let socket = try NotifySocketListener()
        try ProcessEnvironment.with(["NOTIFY_SOCKET": socket.path]) { () throws in
            notifier.stopping()
            #expect(try socket.receive() == ["STOPPING=1"])
            notifier.stopping(status: "draining\nqueue")
            #expect(try socket.receive() == ["STOPPING=1\nSTATUS=draining queue"])
        }
    }

    @Test("watchdog sends WATCHDOG=1")
    func watchdogPing() throws {
        let socket = try NotifySocketListener()
        try ProcessEnvironment.with(["NOTIFY_SOCKET": socket.path]) { () throws in
            notifier.watchdog()
            #expect(try socket.receive() == ["WATCHDOG=1"])
        }
    }

    @Test("send passes the message through verbatim and leaves NOTIFY_SOCKET set")
    func sendIsRawAndKeepsEnvironment() throws {
        let socket = try NotifySocketListener()
        try ProcessEnvironment.with(["NOTIFY_SOCKET": socket.path]) { () throws in
            notifier.send("EXTEND_TIMEOUT_USEC=5000000\nSTATUS=a\nb")
            #expect(try socket.receive() == ["EXTEND_TIMEOUT_USEC=5000000\nSTATUS=a\nb"])
            #expect(notifier.isEnabled)
            notifier.watchdog()
            #expect(try socket.receive() == ["WATCHDOG=1"])
        }
    }

    @Test("isEnabled follows NOTIFY_SOCKET at each call, treating empty as unset")
    func isEnabledTracksEnvironment() {
        ProcessEnvironment.with(["NOTIFY_SOCKET": nil]) {
            #expect(!notifier.isEnabled)
        }
        ProcessEnvironment.with(["NOTIFY_SOCKET": ""]) {
            #expect(!notifier.isEnabled)
        }
        ProcessEnvironment.with(["NOTIFY_SOCKET": "/run/systemd/notify"]) {
            #expect(notifier.isEnabled)
        }
    }

    @Test("without NOTIFY_SOCKET every call is a silent no-op that sends nothing")
    func unsetSocketSendsNothing() throws {
        let socket = try NotifySocketListener()
        try ProcessEnvironment.with(["NOTIFY_SOCKET": nil]) { () throws in
            notifier.ready(status: "waiting")
            notifier.status("x")
            notifier.reloading()
            notifier.stopping(status: "bye")
            notifier.watchdog()
            notifier.send("READY=1")
            #expect(try socket.receive().isEmpty)
        }
    }

    @Test("a NOTIFY_SOCKET naming a missing socket is ignored without crashing")
    func missingSocketIsIgnored() {
        ProcessEnvironment.with(["NOTIFY_SOCKET": "/tmp/ipw-sdnotify-does-not-exist/notify.sock"]) {
            notifier.ready(status: "waiting")
            notifier.watchdog()
            notifier.send("STOPPING=1")
        }
    }

    @Test("watchdogInterval is nil without WATCHDOG_USEC")
    func noWatchdogWithoutUsec() {
        ProcessEnvironment.with(["WATCHDOG_PID": String(getpid())]) {
            #expect(notifier.watchdogInterval == nil)
        }
    }

    @Test("watchdogInterval is half of WATCHDOG_USEC when WATCHDOG_PID is this process")
    func watchdogIntervalIsHalfTheTimeout() {
        ProcessEnvironment.with(["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": String(getpid())]) {
            #expect(notifier.watchdogInterval == .seconds(1))
        }
    }

    @Test("watchdogInterval keeps sub-microsecond precision when halving an odd timeout")
    func watchdogIntervalHalvesOddTimeoutExactly() {
        ProcessEnvironment.with(["WATCHDOG_USEC": "3", "WATCHDOG_PID": String(getpid())]) {
            #expect(notifier.watchdogInterval == .nanoseconds(1500))
        }
    }

    @Test("watchdogInterval applies when WATCHDOG_PID is absent")
    func watchdogIntervalWithoutPid() {
        ProcessEnvironment.with(["WATCHDOG_USEC": "500000"]) {
            #expect(notifier.watchdogInterval == .milliseconds(250))
        }
    }

    @Test("watchdogInterval is nil when WATCHDOG_PID names another process")
    func noWatchdogForAnotherProcess() {
        ProcessEnvironment.with(["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": String(getpid() + 1)]) {
            #expect(notifier.watchdogInterval == nil)
        }
    }

    @Test("watchdogInterval is nil for a malformed WATCHDOG_USEC", arguments: ["0", "abc", "-5", ""])
    func noWatchdogForMalformedUsec(value: String) {
        ProcessEnvironment.with(["WATCHDOG_USEC": value, "WATCHDOG_PID": String(getpid())]) {
            #expect(notifier.watchdogInterval == nil)
        }
    }

    private static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        _ = clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
