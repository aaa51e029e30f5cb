import Synchronization

/// Keeps the tests that measure time apart from the tests that load the machine.
///
/// The whole test suite runs in one process and, by default, all at once; on a 2-core machine the first
/// seconds start a hundred redis-servers and worker processes, and a test that checks "within two seconds"
/// then fails for a reason that has nothing to do with what it checks. So the tests come in two kinds that
/// never run at the same time: timing tests, and load — every test that starts a redis-server or a cluster
/// (the fixtures enter the gate through ``load(_:)``) or is marked heavy. Tests of one kind run beside each
/// other. The kinds take turns in arrival order: a waiting test holds back later arrivals of the other kind,
/// so neither kind waits for more than one phase of the other.
public final class TestLoadGate: Sendable {
    /// The gate every test of the process shares.
    public static let shared = TestLoadGate()

    /// Whether the current task already passed the gate, so that a fixture inside a gated test does not wait
    /// for a phase its own test holds back.
    @TaskLocal public static var isHeld = false

    private struct State {
        var timing = 0
        var load = 0
        var waiting: [(load: Bool, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    /// Creates a gate; tests use ``shared``.
    public init() {}

    /// Runs a test that measures time, never beside a loading one.
    public func timing<Result>(_ body: () async throws -> Result) async rethrows -> Result {
        try await pass(load: false, body)
    }

    /// Runs a test that loads the machine, never beside a timing one.
    public func heavy<Result>(_ body: () async throws -> Result) async rethrows -> Result {
        try await pass(load: true, body)
    }

    /// Runs a fixture that starts servers: as load, unless the calling test already passed the gate.
    public func load<Result>(_ body: () async throws -> Result) async rethrows -> Result {
        if Self.isHeld { return try await body() }
        return try await pass(load: true, body)
    }

    private func pass<Result>(load: Bool, _ body: () async throws -> Result) async rethrows -> Result {
        await enter(load: load)
        defer { leave(load: load) }
        return try await Self.$isHeld.withValue(true) { try await body() }
    }

    private func enter(load: Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state -> Bool in
                // Behind anyone already waiting: otherwise a steady stream of one kind starves the other.
                if state.waiting.isEmpty && Self.admits(load: load, state) {
                    Self.admit(load: load, &state)
                    return true
                }
                state.waiting.append((load, continuation))
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    private func leave(load: Bool) {
        let resumed = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if load { state.load -= 1 } else { state.timing -= 1 }
            // Admit waiters in arrival order up to the first the gate does not allow yet.
            var resumed: [CheckedContinuation<Void, Never>] = []
            while let waiter = state.waiting.first, Self.admits(load: waiter.load, state) {
                Self.admit(load: waiter.load, &state)
                resumed.append(waiter.continuation)
                state.waiting.removeFirst()
            }
            return resumed
        }
        for continuation in resumed { continuation.resume() }
    }

    private static func admits(load: Bool, _ state: State) -> Bool {
        load ? state.timing == 0 : state.load == 0
    }

    private static func admit(load: Bool, _ state: inout State) {
        if load { state.load += 1 } else { state.timing += 1 }
    }
}
