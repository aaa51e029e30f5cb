/// Runs `body`, failing with ``TestDeadlineExceeded`` when it takes longer than `limit`.
///
/// The body runs in a child task that is cancelled at the deadline; every wait in the client and the worker
/// honours cancellation, so a hung wait ends instead of hanging the whole test run.
public func withTestDeadline<Result: Sendable>(
    _ limit: Duration = .seconds(30),
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        if let first = try await group.next(), let result = first {
            return result
        }
        throw TestDeadlineExceeded(limit: limit)
    }
}

/// Runs `body` with `resource` under `limit`, then `stop`s the resource whether `body` returned or threw.
///
/// The fixtures' one shape: a redis-server or a cluster must never outlive its test, even when the test
/// failed or hit its deadline.
func withTestDeadline<Resource: Sendable, Result: Sendable>(
    _ limit: Duration,
    using resource: Resource,
    stop: (Resource) async -> Void,
    _ body: @escaping @Sendable (Resource) async throws -> Result
) async throws -> Result {
    let result: Result
    do {
        result = try await withTestDeadline(limit) { try await body(resource) }
    } catch {
        await stop(resource)
        throw error
    }
    await stop(resource)
    return result
}
