/// Starts and stops the processes of a cluster or a Sentinel group all at once.
///
/// One at a time, a group of six nodes would take six times as long to start; started together, a failure of one
/// must still stop the others, or they would outlive the test that asked for them.
enum ConcurrentLifecycle {
    /// Runs `start` for the indices `0..<count` at the same time and returns the results in index order.
    ///
    /// If any start fails, every one that succeeded is stopped with `stop`, and the failure of the lowest index is
    /// thrown.
    static func start<Started: Sendable, Failure: Error>(
        count: Int,
        _ start: @escaping @Sendable (Int) async throws(Failure) -> Started,
        stop: @escaping @Sendable (Started) async -> Void
    ) async throws(Failure) -> [Started] {
        let results = await withTaskGroup(of: (Int, Result<Started, Failure>).self) { group in
            for index in 0..<count {
                group.addTask {
                    do throws(Failure) {
                        return (index, .success(try await start(index)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var results: [(Int, Result<Started, Failure>)] = []
            for await result in group {
                results.append(result)
            }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
        var started: [Started] = []
        var firstFailure: Failure?
        for result in results {
            switch result {
            case .success(let item): started.append(item)
            case .failure(let error): firstFailure = firstFailure ?? error
            }
        }
        if let firstFailure {
            await Self.stop(started, stop)
            throw firstFailure
        }
        return started
    }

    /// Runs `stop` on every item at the same time and returns when all have finished.
    static func stop<Item: Sendable>(_ items: [Item], _ stop: @escaping @Sendable (Item) async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            for item in items {
                group.addTask { await stop(item) }
            }
        }
    }
}
