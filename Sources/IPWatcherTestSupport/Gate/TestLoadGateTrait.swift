import Testing

/// Runs each test of a suite through ``TestLoadGate``: `.measuresTime` for tests that assert durations,
/// `.loadsMachine` for the few that push or drain so much that they would starve those.
public struct TestLoadGateTrait: SuiteTrait, TestTrait, TestScoping {
    /// Whether the tests load the machine (`.loadsMachine`) rather than measure time (`.measuresTime`).
    public let heavy: Bool

    /// Applies to every test of the suite, one test case at a time.
    public var isRecursive: Bool { true }

    /// Passes the gate around one running test case.
    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        // Only around a test case actually running: gating the suite as well would hold the gate while its
        // tests wait for it.
        guard testCase != nil else { return try await function() }
        if heavy {
            try await TestLoadGate.shared.heavy { try await function() }
        } else {
            try await TestLoadGate.shared.timing { try await function() }
        }
    }
}

extension Trait where Self == TestLoadGateTrait {
    /// The suite's tests assert how long something took: they never run beside a `.loadsMachine` test, nor beside
    /// a test whose fixture starts a redis-server or a cluster.
    ///
    /// A test waits at the gate inside its own time limit, for as long as the phase of the other kind before it
    /// lasts: the connection-flood test alone took 188 s in a CI run on a busy machine, and load suites waited
    /// behind timing phases as long, which 3-minute limits did not cover. Gated suites therefore take
    /// `.timeLimit(.minutes(10))`, which still catches a hang.
    public static var measuresTime: Self { TestLoadGateTrait(heavy: false) }
    /// The suite's tests load the machine heavily: they never run beside a `.measuresTime` test.
    public static var loadsMachine: Self { TestLoadGateTrait(heavy: true) }
}
