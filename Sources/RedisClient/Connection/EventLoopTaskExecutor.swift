import NIOCore

/// Runs Swift tasks on a NIO event loop, so code that awaits replies from a connection on that loop
/// resumes on the same thread instead of hopping to the cooperative pool and back.
///
/// Use it with `withTaskExecutorPreference` around a tight request/reply loop: each round trip then costs no
/// thread switch. Keep heavy computation off it, since the loop's I/O waits while a job runs.
public final class EventLoopTaskExecutor: TaskExecutor {
    /// The loop jobs run on.
    public let eventLoop: any EventLoop

    /// Creates an executor for `eventLoop`.
    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}

extension RedisConnection {
    /// A task executor on this connection's event loop (see ``EventLoopTaskExecutor``).
    public var taskExecutor: EventLoopTaskExecutor { EventLoopTaskExecutor(eventLoop: channel.eventLoop) }
}
