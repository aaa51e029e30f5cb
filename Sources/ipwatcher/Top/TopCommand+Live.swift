import ArgumentParser
import Detection
import IPWatcherDaemon
import RedisClient

extension TopCommand {
    /// Ends the live view on SIGINT or SIGTERM; the terminal is restored and the command exits 0.
    struct Interrupted: Error {}

    /// The live view: redraws every `--interval` until `q`, Ctrl-C or SIGTERM, then restores the terminal.
    func watch(_ collector: TopCollector, connect: @escaping @Sendable () async throws -> RedisConnection) async throws {
        let screen = TerminalScreen()
        defer { screen.restore() }
        do {
            try await untilInterrupted(throwing: { Interrupted() }) { [interval] in
                try await Self.redraw(on: screen, every: interval, collector: collector, connect: connect)
            }
        } catch is Interrupted {
            return
        }
    }

    /// Collects and draws a snapshot every `interval` seconds, redrawing at once when the window's size changes,
    /// until `q` is pressed. While Redis cannot be reached the error shows and each refresh tries again.
    static func redraw(
        on screen: TerminalScreen, every interval: Double, collector: TopCollector,
        connect: @Sendable () async throws -> RedisConnection
    ) async throws {
        var collector = collector
        var connection: RedisConnection?
        let clock = ContinuousClock()
        let period = Duration.milliseconds(Int(interval * 1000))
        let hint = "every \(interval) s, q quits"
        while true {
            let started = clock.now
            var failure: String?
            if connection == nil {
                do {
                    connection = try await connect()
                } catch {
                    failure = "\(error) (trying again every \(interval) s)"
                }
            }
            let now = WallClock().nowMilliseconds()
            var snapshot: TopSnapshot
            do {
                snapshot = try await collector.collect(on: connection, redisError: failure, now: now)
            } catch {
                await connection?.close()
                connection = nil
                snapshot = try await collector.collect(
                    on: nil, redisError: "\(error) (trying again every \(interval) s)", now: now)
            }
            var size = screen.size()
            screen.draw(TopRenderer(width: size.columns, height: size.rows).lines(snapshot, hint: hint))
            while clock.now < started + period {
                if let key = screen.key(), key == UInt8(ascii: "q") || key == UInt8(ascii: "Q") {
                    await connection?.close()
                    return
                }
                if screen.size() != size {
                    size = screen.size()
                    screen.draw(TopRenderer(width: size.columns, height: size.rows).lines(snapshot, hint: hint))
                }
                do {
                    try await Task.sleep(for: .milliseconds(50))
                } catch {
                    await connection?.close()
                    throw error
                }
            }
        }
    }
}
