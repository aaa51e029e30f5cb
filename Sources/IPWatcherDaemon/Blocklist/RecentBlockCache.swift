import Detection
import Synchronization

/// Units the worker offered to the blocklist moments ago, so a flooding unit is not offered again in every
/// batch: while it floods, each batch sees it over the threshold, and re-running the ban script for it each
/// time would cost Redis one script call per flooding unit per batch.
///
/// An entry lasts ``holdMilliseconds``: a unit whose ban ended, or that an operator removed, is offered again
/// within that time if it is still over the threshold.
final class RecentBlockCache: Sendable {
    /// How long an offered unit is not offered again.
    static let holdMilliseconds: Int64 = 1000

    /// A unit offered under one rule: a unit held back for one rule is still offered for another, whose ban
    /// may be longer.
    private struct Offer: Hashable {
        let unit: DetectionUnit
        let rule: String
    }

    private struct State {
        var until: [Offer: Int64] = [:]
        var pruneAt = 1024
    }

    private let state = Mutex(State())

    /// The crossings of units not offered within the hold time, which are now recorded as offered at `now`.
    func admit(_ crossings: [RuleCrossing], now: Int64) -> [RuleCrossing] {
        state.withLock { state in
            var admitted: [RuleCrossing] = []
            for crossing in crossings {
                let offer = Offer(unit: crossing.count.group.unit, rule: crossing.rule.name)
                if let until = state.until[offer], until > now { continue }
                state.until[offer] = now + Self.holdMilliseconds
                admitted.append(crossing)
            }
            if state.until.count >= state.pruneAt {
                state.until = state.until.filter { $0.value > now }
                state.pruneAt = max(1024, state.until.count * 2)
            }
            return admitted
        }
    }
}
