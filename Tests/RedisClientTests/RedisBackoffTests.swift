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

    @Test(arguments: [
        (1, Duration.milliseconds(100)),
        (2, .milliseconds(200)),
        (3, .milliseconds(400)),
        (4, .milliseconds(800)),
        (5, .milliseconds(1600)),
        (6, .seconds(2)),
        (7, .seconds(2)),
        (20, .seconds(2)),
    ])
    func randomOneGivesTheNominalDelayGrowingByTheMultiplierUpToTheMaximum(attempt: Int, nominal: Duration) {
        #expect(Self.backoff.delay(attempt: attempt, random: 1) == nominal)
    }

    @Test(arguments: [
        (1, Duration.milliseconds(50)),
        (2, .milliseconds(100)),
        (3, .milliseconds(200)),
        (5, .milliseconds(800)),
        (6, .seconds(1)),
        (100, .seconds(1)),
    ])
    func randomZeroGivesOneMinusJitterTimesTheNominalDelay(attempt: Int, expected: Duration) {
        #expect(Self.backoff.delay(attempt: attempt, random: 0) == expected)
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

    @Test(arguments: [50, 1000, 1_000_000, Int.max])
    func largeAttemptCountsReturnTheMaximumWithoutOverflowOrHanging(attempt: Int) {
        #expect(Self.backoff.delay(attempt: attempt, random: 1) == .seconds(2))
        #expect(Self.backoff.delay(attempt: attempt, random: 0) == .seconds(1))
    }

    @Test func largeAttemptCountWithMultiplierOneStaysAtTheInitialDelay() {
        let backoff = RedisBackoff(initial: .milliseconds(100), maximum: .seconds(2), multiplier: 1, jitter: 0)
        #expect(backoff.delay(attempt: 1000, random: 1) == .milliseconds(100))
    }

    @Test(arguments: [0, -1, -1000, Int.min])
    func attemptZeroOrNegativeIsTreatedAsTheFirstRetry(attempt: Int) {
        #expect(Self.backoff.delay(attempt: attempt, random: 1) == .milliseconds(100))
        #expect(Self.backoff.delay(attempt: attempt, random: 0) == .milliseconds(50))
    }

    @Test func initialDelayAboveTheMaximumIsCapped() {
        let backoff = RedisBackoff(initial: .seconds(5), maximum: .seconds(1), multiplier: 2, jitter: 0)
        #expect(backoff.delay(attempt: 1, random: 1) == .seconds(1))
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

    @Test func fullJitterWithRandomZeroGivesNoDelay() {
        let backoff = RedisBackoff(initial: .milliseconds(100), maximum: .seconds(2), multiplier: 2, jitter: 1)
        #expect(backoff.delay(attempt: 4, random: 0) == .zero)
        #expect(backoff.delay(attempt: 4, random: 1) == .milliseconds(800))
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
