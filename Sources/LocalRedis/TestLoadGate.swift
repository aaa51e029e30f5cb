import Synchronization

/// Keeps the few tests that load the machine heavily from running beside the tests that measure time.
///
/// The whole test suite runs in one process and, by default, all at once; on a 2-core machine a test that
/// pushes tens of megabytes or drains 100,000 entries through a debug build starves everything else for
/// seconds, and a test that checks "within a second" then fails for a reason that has nothing to do with
/// what it checks. Timing tests and heavy tests never run at the same time: each kind waits while the other
/// runs. Heavy tests may run beside each other (they check counts, not times), so the heavy phase stays short
/// and a timing test never waits long.
public final class TestLoadGate: Sendable {
    /// The gate every test of the process shares.
    public static let shared = TestLoadGate()

    private struct State {
        var timing = 0
        var heavy = 0
        var waiting: [(heavy: Bool, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    /// Creates a gate; tests use ``shared``.
    public init() {}

    /// Runs a test that measures time, never beside a heavy one.
    public func timing<Result>(_ body: () async throws -> Result) async rethrows -> Result {
        await enter(heavy: false)
        defer { leave(heavy: false) }
        return try await body()
    }

    /// Runs a test that loads the machine, never beside a timing one.
    public func heavy<Result>(_ body: () async throws -> Result) async rethrows -> Result {
        await enter(heavy: true)
        defer { leave(heavy: true) }
        return try await body()
    }

    private func enter(heavy: Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state -> Bool in
                if Self.admits(heavy: heavy, state) {
                    Self.admit(heavy: heavy, &state)
                    return true
                }
                state.waiting.append((heavy, continuation))
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    private func leave(heavy: Bool) {
        let resumed = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if heavy { state.heavy -= 1 } else { state.timing -= 1 }
            // Admit, in arrival order, every waiter the gate now allows.
            var resumed: [CheckedContinuation<Void, Never>] = []
            var remaining: [(heavy: Bool, continuation: CheckedContinuation<Void, Never>)] = []
            for waiter in state.waiting {
                if Self.admits(heavy: waiter.heavy, state) {
                    Self.admit(heavy: waiter.heavy, &state)
                    resumed.append(waiter.continuation)
                } else {
                    remaining.append(waiter)
                }
            }
            state.waiting = remaining
            return resumed
        }
        for continuation in resumed { continuation.resume() }
    }

    private static func admits(heavy: Bool, _ state: State) -> Bool {
        heavy ? state.timing == 0 : state.heavy == 0
    }

    private static func admit(heavy: Bool, _ state: inout State) {
        if heavy { state.heavy += 1 } else { state.timing += 1 }
    }
}
