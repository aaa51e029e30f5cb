import Detection
import Testing

@testable import IPWatcherDaemon

/// The ledger that lets a counter hash's expiry be set about once per window instead of in every call: a claim
/// is granted once per window length, window index and bucket, and every claim is forgotten after 10 s of the
/// worker's clock.
@Suite("Counters in buckets: the expiry ledger")
struct BucketExpiryLedgerTests {
    /// The ledger behind a reference, so that its mutating calls can stand inside `#expect`.
    final class LedgerBox {
        var ledger = BucketExpiryLedger()

        func refresh(now: Int64) { ledger.refresh(now: now) }

        func claim(windowSeconds: Int, windowIndex: Int64, bucket: Int, buckets: Int) -> Bool {
            ledger.claim(windowSeconds: windowSeconds, windowIndex: windowIndex, bucket: bucket, buckets: buckets)
        }

        func slots(for groups: [UnitCount], windowSeconds: Int, buckets: Int) -> [BucketSlot] {
            ledger.slots(for: groups, windowSeconds: windowSeconds, buckets: buckets)
        }
    }

    static let start: Int64 = 1_760_000_000_000

    @Test("a bucket is claimed once per window; another index, window length or bucket is a claim of its own")
    func claimsOncePerWindowAndBucket() {
        let ledger = LedgerBox()
        ledger.refresh(now: Self.start)
        #expect(ledger.claim(windowSeconds: 60, windowIndex: 7, bucket: 3, buckets: 8))
        #expect(!ledger.claim(windowSeconds: 60, windowIndex: 7, bucket: 3, buckets: 8), "claimed already")
        #expect(!ledger.claim(windowSeconds: 60, windowIndex: 7, bucket: 3, buckets: 8))
        #expect(ledger.claim(windowSeconds: 60, windowIndex: 8, bucket: 3, buckets: 8), "the next window")
        #expect(ledger.claim(windowSeconds: 60, windowIndex: 6, bucket: 3, buckets: 8), "the window before")
        #expect(ledger.claim(windowSeconds: 10, windowIndex: 7, bucket: 3, buckets: 8), "another window length")
        #expect(ledger.claim(windowSeconds: 60, windowIndex: 7, bucket: 4, buckets: 8), "another bucket")
        #expect(!ledger.claim(windowSeconds: 60, windowIndex: 8, bucket: 3, buckets: 8))
        #expect(!ledger.claim(windowSeconds: 10, windowIndex: 7, bucket: 3, buckets: 8))
    }

    @Test("every bucket of a large layout is claimed exactly once, the words of the bit set kept apart")
    func everyBucketOfALargeLayout() {
        let ledger = LedgerBox()
        ledger.refresh(now: Self.start)
        let buckets = CounterLayout.defaultBucketCount + 5
        for bucket in 0..<buckets {
            #expect(ledger.claim(windowSeconds: 3600, windowIndex: 1, bucket: bucket, buckets: buckets), "\(bucket)")
        }
        var regranted = 0
        for bucket in 0..<buckets where ledger.claim(windowSeconds: 3600, windowIndex: 1, bucket: bucket, buckets: buckets) {
            regranted += 1
        }
        #expect(regranted == 0)
        #expect(ledger.claim(windowSeconds: 3600, windowIndex: 2, bucket: buckets - 1, buckets: buckets))
        #expect(ledger.claim(windowSeconds: 3600, windowIndex: 2, bucket: 63, buckets: buckets))
        #expect(ledger.claim(windowSeconds: 3600, windowIndex: 2, bucket: 64, buckets: buckets), "next word")
    }

    @Test("claims are forgotten 10,000 ms of the worker's clock after the last forgetting, not before")
    func forgetsAfterTenSeconds() {
        let ledger = LedgerBox()
        #expect(BucketExpiryLedger.forgetMilliseconds == 10_000)
        ledger.refresh(now: Self.start)
        #expect(ledger.claim(windowSeconds: 60, windowIndex: 7, bucket: 3, buckets: 8))
        ledger.refresh(now: Self.start + 1)
        ledger.refresh(now: Self.start + 9_999)
        #expect(!ledger.claim(windowSeconds: 60, windowIndex: 7, bucket: 3, buckets: 8), "still trusted at 9,999 ms")
        ledger.refresh(now: Self.start + 10_000)
        #expect(ledger.claim(windowSeconds: 60, windowIndex: 7, bucket: 3, buckets: 8), "forgotten at 10,000 ms")
        #expect(!ledger.claim(windowSeconds: 60, windowIndex: 7, bucket: 3, buckets: 8))
        // The next forgetting counts from this one, not from the first.
        ledger.refresh(now: Self.start + 19_999)
        #expect(!ledger.claim(windowSeconds: 60, windowIndex: 7, bucket: 3, buckets: 8))
        ledger.refresh(now: Self.start + 20_000)
        #expect(ledger.claim(windowSeconds: 60, windowIndex: 7, bucket: 3, buckets: 8))
    }

    @Test("a fresh ledger grants claims without a refresh, and the first refresh forgets them")
    func freshLedger() {
        let ledger = LedgerBox()
        #expect(ledger.claim(windowSeconds: 60, windowIndex: 1, bucket: 0, buckets: 1))
        #expect(!ledger.claim(windowSeconds: 60, windowIndex: 1, bucket: 0, buckets: 1))
        ledger.refresh(now: 0)
        #expect(ledger.claim(windowSeconds: 60, windowIndex: 1, bucket: 0, buckets: 1))
    }

    @Test("slots name each group's bucket, and only the first group of a hash in a window sets its expiry")
    func slotsOfABatch() throws {
        let ledger = LedgerBox()
        ledger.refresh(now: Self.start)
        let buckets = 4
        let units = (1...40).map { DetectionUnit(address: .v4(0xC633_6400 | UInt32($0)), ipv4Prefix: 32, ipv6Prefix: 64) }
        // The units in window 100, then again in window 101: as a batch straddling a window boundary groups them.
        let groups = units.map { UnitCount(unit: $0, windowIndex: 100, count: 1) }
            + units.map { UnitCount(unit: $0, windowIndex: 101, count: 2) }
        let slots = ledger.slots(for: groups, windowSeconds: 60, buckets: buckets)
        try #require(slots.count == groups.count)
        var seen = Set<[Int64]>()
        for (group, slot) in zip(groups, slots) {
            #expect(slot.bucket == CounterLayout.bucket(of: group.unit, count: buckets))
            let isFirst = seen.insert([group.windowIndex, Int64(slot.bucket)]).inserted
            #expect(slot.setsExpiry == isFirst, "\(group.unit) in window \(group.windowIndex)")
        }
        #expect(slots.filter(\.setsExpiry).count == 2 * Set(slots.map(\.bucket)).count)
        // The next batch in the same windows sets no expiry; after the ledger forgets, it sets them again.
        #expect(ledger.slots(for: groups, windowSeconds: 60, buckets: buckets).allSatisfy { !$0.setsExpiry })
        ledger.refresh(now: Self.start + BucketExpiryLedger.forgetMilliseconds)
        #expect(ledger.slots(for: groups, windowSeconds: 60, buckets: buckets).filter(\.setsExpiry).count == slots.filter(\.setsExpiry).count)
    }

    @Test("a reload to more buckets within a window still grants the new buckets' claims")
    func moreBucketsWithinAWindow() {
        let ledger = LedgerBox()
        ledger.refresh(now: Self.start)
        // 64 buckets before the reload: the window's bit set is one word long.
        #expect(ledger.claim(windowSeconds: 60, windowIndex: 7, bucket: 5, buckets: 64))
        // After `detection.buckets: 128` is reloaded, bucket 100 of the same window has never been claimed, so its
        // hash needs its expiry from this call.
        #expect(ledger.claim(windowSeconds: 60, windowIndex: 7, bucket: 100, buckets: 128))
        #expect(!ledger.claim(windowSeconds: 60, windowIndex: 7, bucket: 100, buckets: 128), "once")
        #expect(!ledger.claim(windowSeconds: 60, windowIndex: 7, bucket: 5, buckets: 128), "the claims before stay")
    }
}
