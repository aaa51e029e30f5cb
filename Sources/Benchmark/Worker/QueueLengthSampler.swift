import Logging
import RedisClient
import Synchronization

/// Samples a list's `LLEN` on a connection of its own until told to stop, keeping the largest value: how far
/// the queue ran ahead of the worker during a paced feed.
struct QueueLengthSampler: Sendable {
    /// Tells a running sampler to stop after its current sample.
    final class Stop: Sendable {
        private let flag = Atomic<Bool>(false)

        /// Creates a flag that is not set.
        init() {}

        /// Sets the flag.
        func set() { flag.store(true, ordering: .releasing) }

        /// Whether the flag is set.
        var isSet: Bool { flag.load(ordering: .acquiring) }
    }

    /// What the sampler saw.
    struct Result: Sendable {
        /// The largest `LLEN`.
        var maximum: Int
        /// Samples taken.
        var samples: Int
    }

    /// Where Redis is.
    let endpoint: RedisEndpoint
    /// The list.
    let key: String
    /// Time between samples.
    let interval: Duration
    /// Where connection messages go.
    let logger: Logger

    /// Samples until `stop` is set (or the task is cancelled) and returns the largest length seen.
    func run(until stop: Stop) async throws -> Result {
        let connection = try await RedisConnection.connect(
            to: endpoint, configuration: RedisConnectionConfiguration(clientName: "ipwatcher-bench-llen"), logger: logger)
        var result = Result(maximum: 0, samples: 0)
        do {
            while !stop.isSet && !Task.isCancelled {
                let length = Int(try await connection.send("LLEN", key).throwingServerError().int ?? 0)
                result.maximum = max(result.maximum, length)
                result.samples += 1
                try await Task.sleep(for: interval)
            }
        } catch is CancellationError {
            // Cancelled while sleeping: the samples so far stand.
        } catch {
            await connection.closeNow()
            throw error
        }
        await connection.closeNow()
        return result
    }
}
