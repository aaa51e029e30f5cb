import NIOCore
import NIOEmbedded
import Testing

@testable import IPWatcherDaemon

/// Which connection the metrics server closes to admit a new one at the cap: the oldest that is not being
/// answered, none while that one is in its grace period, and the oldest whatever its age at four times the cap.
@Suite("Metrics: choosing the connection to close at the cap")
struct MetricsConnectionRegistryTests {
    /// A cap of 2 with 100 ms of grace.
    static let limits = MetricsConnectionLimits(
        maxConnections: 2, requestTimeout: .seconds(5), idleTimeout: .seconds(30), maxRequestBytes: 8192,
        admissionGrace: .milliseconds(100))

    /// `count` distinct channels.
    static func channels(_ count: Int) -> [EmbeddedChannel] {
        (0..<count).map { _ in EmbeddedChannel() }
    }

    @Test("past the cap the oldest waiting connection is chosen, skipping one being answered")
    func oldestWaitingIsChosen() {
        let registry = MetricsConnectionRegistry(limits: Self.limits)
        let start = ContinuousClock.now
        let later = start + .seconds(1)
        let (first, second, third, fourth) = (EmbeddedChannel(), EmbeddedChannel(), EmbeddedChannel(), EmbeddedChannel())
        let firstID = registry.admit(first, now: start).id
        #expect(registry.admit(second, now: start).evicted.isEmpty)
        registry.setAnswering(firstID, true)
        let admitted = registry.admit(third, now: later)
        #expect(admitted.evicted.count == 1)
        #expect(admitted.evicted.first === second)
        registry.setAnswering(firstID, false)
        #expect(registry.admit(fourth, now: later).evicted.first === first)
        #expect(registry.count == 2)
    }

    @Test("while the oldest is in its grace period none is chosen, up to four times the cap")
    func graceThenCeiling() {
        let registry = MetricsConnectionRegistry(limits: Self.limits)
        let now = ContinuousClock.now
        let burst = Self.channels(9)
        for channel in burst.prefix(8) {
            #expect(registry.admit(channel, now: now).evicted.isEmpty)
        }
        #expect(registry.count == 8)
        // At the ceiling (4 × 2) the oldest goes, young or not.
        #expect(registry.admit(burst[8], now: now).evicted.first === burst[0])
        #expect(registry.count == 8)
    }

    @Test("once the grace period is over, one admission brings the count back to the cap")
    func backToCapAfterBurst() {
        let registry = MetricsConnectionRegistry(limits: Self.limits)
        let now = ContinuousClock.now
        for channel in Self.channels(6) { _ = registry.admit(channel, now: now) }
        let admitted = registry.admit(EmbeddedChannel(), now: now + .milliseconds(100))
        #expect(admitted.evicted.count == 5)
        #expect(registry.count == 2)
    }

    @Test("a removed connection frees its place")
    func removalFreesPlace() {
        let registry = MetricsConnectionRegistry(limits: Self.limits)
        let now = ContinuousClock.now
        let id = registry.admit(EmbeddedChannel(), now: now).id
        _ = registry.admit(EmbeddedChannel(), now: now)
        registry.remove(id)
        #expect(registry.admit(EmbeddedChannel(), now: now + .seconds(1)).evicted.isEmpty)
    }
}
