import SystemdNotify
import Testing

/// Exercises the progress gate that decides whether a watchdog ping is deserved.
@Suite("WatchdogProgress")
struct WatchdogProgressTests {
    @Test("a fresh tracker reports no progress, so a loop wedged before its first iteration is caught")
    func freshTrackerHasNoProgress() {
        let tracker = WatchdogProgress()
        #expect(!tracker.consumeProgress())
    }

    @Test("progress is reported once and then reset")
    func progressIsConsumedOnce() {
        let tracker = WatchdogProgress()
        tracker.progress()
        #expect(tracker.consumeProgress())
        #expect(!tracker.consumeProgress())
    }

    @Test("several progress calls between checks count as one")
    func repeatedProgressCoalesces() {
        let tracker = WatchdogProgress()
        for _ in 0..<5 { tracker.progress() }
        #expect(tracker.consumeProgress())
        #expect(!tracker.consumeProgress())
    }

    @Test("a loop that stops making progress stops earning pings")
    func wedgedLoopStopsPings() {
        let tracker = WatchdogProgress()
        var pings: [Bool] = []
        for tick in 0..<6 {
            if tick < 3 { tracker.progress() }  // the loop wedges after three intervals
            pings.append(tracker.consumeProgress())
        }
        #expect(pings == [true, true, true, false, false, false])
    }

    @Test("progress recorded concurrently from many tasks is seen by the checker")
    func concurrentProgressIsSeen() async {
        let tracker = WatchdogProgress()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    for _ in 0..<1_000 { tracker.progress() }
                }
            }
        }
        #expect(tracker.consumeProgress())
        #expect(!tracker.consumeProgress())
    }
}
