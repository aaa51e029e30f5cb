/// Polls `condition` every `interval` until it holds or `limit` passes; errors thrown by the condition count as
/// "not yet".
///
/// Returns whether the condition held, so callers write `try #require(await eventually { … }, "what")`; see
/// ``waitUntil(_:within:every:_:)`` for the throwing form.
public func eventually(
    within limit: Duration = .seconds(10),
    every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: limit)
    while true {
        if (try? await condition()) == true { return true }
        if clock.now >= deadline { return false }
        try await Task.sleep(for: interval)
    }
}

/// Like ``eventually(within:every:_:)``, but throws ``WaitTimedOut`` naming `what` when the time runs out.
public func waitUntil(
    _ what: @autoclosure () -> String,
    within limit: Duration = .seconds(10),
    every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws {
    guard try await eventually(within: limit, every: interval, condition) else {
        throw WaitTimedOut(description: "timed out after \(limit) waiting until \(what())")
    }
}
