import Testing

@testable import RedisClient

@Suite struct RedisBackoffTests {
    /// 100 ms doubling up to 2 s, half of each delay random.
    private static let backoff = RedisBackoff(
        initial: .milliseconds(100), maximum: .seconds(2), multiplier: 2, jitter: 0.5)

    @Test func defaultsStartAt50MillisecondsDoubleUpToOneSecondWithHalfJitter() {
        let backoff = RedisBackoff()
        #expect(backoff.initial == .milliseconds(50))
        #expect(backoff.maximum == .seconds(1))
        #expect(backoff.multiplier == 2)
        #expect(backoff.jitter == 0.5)
        #expect(backoff.delay(attempt: 1, random: 1) == .milliseconds(50))
        #expect(backoff.delay(attempt: 5, random: 1) == .milliseconds(800))
        #expect(backoff.delay(attempt: 6, random: 1) == .seconds(1))
    }

    /// With random 1 the delay is the nominal one, growing by the multiplier up to the maximum; with random 0
    /// it is (1 - jitter) times that, here half.
    @Test(arguments: [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1600), (6, 2000), (7, 2000), (20, 2000), (100, 2000)])
    func delayRunsFromHalfTheNominalAtRandomZeroToTheNominalAtRandomOne(attempt: Int, nominalMilliseconds: Int) {
        #expect(Self.backoff.delay(attempt: attempt, random: 1) == .milliseconds(nominalMilliseconds))
        #expect(Self.backoff.delay(attempt: attempt, random: 0) == .milliseconds(nominalMilliseconds / 2))
    }

    @Test func randomBetweenZeroAndOneInterpolatesLinearly() {
        // Nominal 400 ms, jitter 0.5: factor = 1 - 0.5 * (1 - 0.5) = 0.75.
        #expect(Self.backoff.delay(attempt: 3, random: 0.5) == .milliseconds(300))
    }

    @Test func otherMultipliersScaleEachStep() {
        let backoff = RedisBackoff(initial: .milliseconds(10), maximum: .seconds(1), multiplier: 3, jitter: 0)
        let delays = (1...6).map { backoff.delay(attempt: $0, random: 1) }
        #expect(delays == [.milliseconds(10), .milliseconds(30), .milliseconds(90), .milliseconds(270), .milliseconds(810), .seconds(1)])
    }

    @Test func zeroJitterIsDeterministicWhateverTheRandomness() {
        let backoff = RedisBackoff(initial: .milliseconds(100), maximum: .seconds(2), multiplier: 2, jitter: 0)
        for random in [0.0, 0.25, 0.5, 1.0] {
            #expect(backoff.delay(attempt: 3, random: random) == .milliseconds(400))
        }
        for _ in 0..<100 {
            #expect(backoff.delay(attempt: 3) == .milliseconds(400))
        }
    }

    @Test func freshRandomnessStaysWithinTheJitterBand() {
        for attempt in 1...8 {
            let nominal = Self.backoff.delay(attempt: attempt, random: 1)
            let lowest = Self.backoff.delay(attempt: attempt, random: 0)
            for _ in 0..<50 {
                let delay = Self.backoff.delay(attempt: attempt)
                #expect(delay >= lowest && delay <= nominal)
            }
        }
    }

    /// Attempt numbers out of range: large ones give the maximum without overflowing or hanging, zero and
    /// negative ones count as the first retry.
    @Test(arguments: [
        (50, Duration.seconds(2), Duration.seconds(1)),
        (1000, .seconds(2), .seconds(1)),
        (1_000_000, .seconds(2), .seconds(1)),
        (Int.max, .seconds(2), .seconds(1)),
        (0, .milliseconds(100), .milliseconds(50)),
        (-1, .milliseconds(100), .milliseconds(50)),
        (-1000, .milliseconds(100), .milliseconds(50)),
        (Int.min, .milliseconds(100), .milliseconds(50)),
    ])
    func attemptCountsOutOfRangeAreClamped(attempt: Int, nominal: Duration, lowest: Duration) {
        #expect(Self.backoff.delay(attempt: attempt, random: 1) == nominal)
        #expect(Self.backoff.delay(attempt: attempt, random: 0) == lowest)
    }

    /// Edge settings: a multiplier of one stays at the initial delay however many attempts; an initial delay
    /// above the maximum is capped; full jitter with random 0 gives no delay at all.
    @Test(arguments: [
        (RedisBackoff(initial: .milliseconds(100), maximum: .seconds(2), multiplier: 1, jitter: 0), 1000, 1.0,
         Duration.milliseconds(100)),
        (RedisBackoff(initial: .seconds(5), maximum: .seconds(1), multiplier: 2, jitter: 0), 1, 1.0, .seconds(1)),
        (RedisBackoff(initial: .milliseconds(100), maximum: .seconds(2), multiplier: 2, jitter: 1), 4, 0.0, .zero),
        (RedisBackoff(initial: .milliseconds(100), maximum: .seconds(2), multiplier: 2, jitter: 1), 4, 1.0,
         .milliseconds(800)),
    ])
    func edgeSettingsGiveTheExpectedDelay(backoff: RedisBackoff, attempt: Int, random: Double, expected: Duration) {
        #expect(backoff.delay(attempt: attempt, random: random) == expected)
    }

    @Test func randomOutsideZeroToOneIsClamped() {
        #expect(Self.backoff.delay(attempt: 2, random: 7) == .milliseconds(200))
        #expect(Self.backoff.delay(attempt: 2, random: -3) == .milliseconds(100))
    }

    @Test(arguments: [(1.5, 1.0), (-0.25, 0.0), (0.3, 0.3)])
    func jitterIsClampedToZeroThroughOne(given: Double, stored: Double) {
        let backoff = RedisBackoff(jitter: given)
        #expect(backoff.jitter == stored)
    }

    @Test func delaysNeverDecreaseAsAttemptsGrow() {
        var previous = Duration.zero
        for attempt in 1...40 {
            let delay = Self.backoff.delay(attempt: attempt, random: 1)
            #expect(delay >= previous)
            #expect(delay <= Self.backoff.maximum)
            previous = delay
        }
    }
}
