import Detection
import Foundation
import RESP
import RedisClient

extension BlocklistMirror {
    /// Keeps the copy current until the task is cancelled: connect, subscribe, load, follow the events, reload
    /// every ``Settings/reconcileInterval``; after a lost connection, again from the start with backoff.
    ///
    /// Behind sentinels, a ``RedisSentinelWatcher`` runs beside it and closes the connection when the sentinels
    /// name another master, so the mirror reloads from the new one.
    public func run() async {
        guard let watcher = RedisSentinelWatcher(endpoint: endpoint, configuration: settings.connection, logger: logger)
        else {
            return await followConnections()
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await watcher.run { [self] master in
                    state.withLock { $0.connection }?.closeUnlessConnected(to: master, logger: logger)
                }
            }
            group.addTask { await self.followConnections() }
            // Both run until cancelled.
            await group.next()
            group.cancelAll()
        }
    }

    /// Connects again and again, with backoff, until the task is cancelled.
    private func followConnections() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await followOneConnection()
            } catch {
                guard !Task.isCancelled else { break }
                let wasFresh = state.withLock { state in
                    defer { state.status.isStale = true }
                    return !state.status.isStale
                }
                // A connection that had loaded the set ends an outage's count: the backoff starts over.
                failures = wasFresh ? 1 : failures + 1
                if failures == 1 {
                    logger.warning(
                        "blocklist mirror has no connection to Redis; answering from the last-known set", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: settings.connection.backoff.delay(attempt: failures))
            }
        }
    }

    /// One connection's life: returns only by throwing (the connection is gone) or when cancelled.
    private func followOneConnection() async throws {
        state.withLock { state in
            state.held = []
            state.subscribed = false
        }
        let connection = try await RedisConnection.connect(
            to: endpoint, configuration: settings.connection, logger: logger,
            onPush: { [self] push in receive(push) })
        state.withLock { $0.connection = connection }
        defer { state.withLock { $0.connection = nil } }
        do {
            try await connection.subscribe([settings.eventsChannel]) { state.withLock { $0.subscribed } }
            try await load(on: connection)
            let clock = ContinuousClock()
            var nextLoad = clock.now.advanced(by: settings.reconcileInterval)
            while !Task.isCancelled {
                // Polled: a closed connection must mark the copy stale soon, and a close has no async signal.
                try await Task.sleep(for: .milliseconds(100))
                guard connection.isActive else { throw RedisError.connectionClosed(reason: "the mirror's connection closed") }
                if clock.now >= nextLoad {
                    try await load(on: connection)
                    nextLoad = clock.now.advanced(by: settings.reconcileInterval)
                }
            }
            await connection.closeNow()
        } catch {
            await connection.closeNow()
            throw error
        }
    }

    /// Reads the whole set and its expiries, replaces the copy, then applies the events held meanwhile.
    private func load(on connection: RedisConnection) async throws {
        state.withLock { state in
            if state.held == nil { state.held = [] }
        }
        var unparsable = 0
        let loaded = try await loadSet(settings.blocklistKey, bansKey: settings.bansKey, on: connection, unparsable: &unparsable)
        var ranges: [DetectionUnit: Int64?] = [:]
        if let rangeSettings = settings.ranges {
            ranges = try await loadSet(rangeSettings.key, bansKey: rangeSettings.bansKey, on: connection, unparsable: &unparsable)
        }
        state.withLock { state in
            if state.status.loads > 0 {
                state.status.repairedUnits += Self.differences(state.units, loaded) + Self.differences(state.ranges, ranges)
            }
            state.units = loaded
            state.ranges = ranges
            for change in state.held ?? [] { Self.apply(change, to: &state) }
            state.held = nil
            state.status.loads += 1
            state.status.unparsableMembers = unparsable
            state.status.isStale = false
        }
    }

    /// The members of the set `key` that parse as units or ranges, each with its expiry from the sorted set
    /// `bansKey`; counts the others in `unparsable`.
    private func loadSet(
        _ key: String, bansKey: String, on connection: RedisConnection, unparsable: inout Int
    ) async throws -> [DetectionUnit: Int64?] {
        let members = try await scan(connection, "SSCAN", key)
        let scores = try await scan(connection, "ZSCAN", bansKey)
        var expiries: [String: Int64] = [:]
        var index = 0
        while index + 1 < scores.count {
            if let score = Double(scores[index + 1]), score.isFinite, abs(score) < 0x1p63 {
                expiries[scores[index]] = Int64(score)
            }
            index += 2
        }
        var loaded: [DetectionUnit: Int64?] = [:]
        loaded.reserveCapacity(members.count)
        for member in members {
            guard let unit = DetectionUnit.parse(name: member) else {
                unparsable += 1
                continue
            }
            loaded[unit] = .some(expiries[member])
        }
        return loaded
    }

    /// Every element of a `SSCAN`/`ZSCAN` of `key`, 1,000 at a time.
    private func scan(_ connection: RedisConnection, _ command: String, _ key: String) async throws -> [String] {
        var cursor = "0"
        var elements: [String] = []
        repeat {
            let reply = try await connection.send(RESPCommand(command, key, cursor, "COUNT", 1000)).throwingServerError()
            let parts = reply.array.map { Array($0) } ?? []
            guard parts.count == 2, let next = parts[0].string else {
                throw RedisError.unexpectedReply(command: command, reply: "\(reply)")
            }
            cursor = next
            if let page = parts[1].array { elements += page.compactMap(\.string) }
        } while cursor != "0"
        return elements
    }

    /// Units whose presence or expiry differs between two copies.
    private static func differences(_ old: [DetectionUnit: Int64?], _ new: [DetectionUnit: Int64?]) -> Int {
        var count = 0
        for (unit, expiry) in new where old[unit] != .some(expiry) { count += 1 }
        for unit in old.keys where new[unit] == nil { count += 1 }
        return count
    }

    /// Handles one push from the subscription: the confirmation, or an event.
    private func receive(_ push: RESPToken) {
        guard let parts = push.withoutAttributes.array else { return }
        var iterator = parts.makeIterator()
        guard let kind = iterator.next()?.string, iterator.next()?.string == settings.eventsChannel else { return }
        switch kind {
        case "subscribe":
            state.withLock { $0.subscribed = true }
        case "message":
            guard let payload = iterator.next()?.string, let change = Self.change(fromEvent: payload) else { return }
            // Range bans off here: the worker's range events concern no lookup this mirror makes.
            if settings.ranges == nil, change.isRange { return }
            state.withLock { state in
                if state.held != nil {
                    state.held?.append(change)
                } else {
                    Self.apply(change, to: &state)
                }
            }
        default:
            break
        }
    }

    private static func apply(_ change: Change, to state: inout State) {
        switch change {
        case .block(let unit, let expiresAt, isRange: false): state.units[unit] = .some(expiresAt)
        case .block(let unit, let expiresAt, isRange: true): state.ranges[unit] = .some(expiresAt)
        case .unblock(let unit, isRange: false): state.units[unit] = nil
        case .unblock(let unit, isRange: true): state.ranges[unit] = nil
        }
        state.status.eventsApplied += 1
    }

    /// The fields of an event the mirror needs; the worker's block events carry more.
    private struct Event: Decodable {
        var event: String
        var unit: String
        var expires_at: Int64?
        var dry_run: Bool?
        var range: Bool?
    }

    /// The change an event announces; nil for anything else (a dry run's block changes nothing).
    static func change(fromEvent json: String) -> Change? {
        guard let event = try? JSONDecoder().decode(Event.self, from: Data(json.utf8)),
              let unit = DetectionUnit.parse(name: event.unit)
        else { return nil }
        let isRange = event.range == true
        switch event.event {
        case "block" where event.dry_run != true: return .block(unit, expiresAt: event.expires_at, isRange: isRange)
        case "unblock": return .unblock(unit, isRange: isRange)
        default: return nil
        }
    }
}
