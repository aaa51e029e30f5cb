import CMallocCounter
import IPWatcherDaemon
import Testing

/// A block event costs the worker one string, not one allocation per field: JSONObjectWriter appends to a buffer
/// reserved up front. Counted like HotPathAllocationTests, and checked only in an optimised build, by
/// `make alloc-check`.
@Suite struct JSONObjectWriterAllocationTests {
    #if DEBUG
    static let isOptimized = false
    #else
    static let isOptimized = true
    #endif

    @Test(.enabled(if: isOptimized, "allocation counts mean something only in an optimised build"))
    func aBlockEventAllocatesAtMostTwice() {
        let unit = "2001:db8:1234:5678::/64"
        func event() -> String {
            var event = JSONObjectWriter()
            event.add("event", "block")
            event.add("unit", unit)
            event.add("count", 15)
            event.add("window", 60)
            event.add("mode", "rolling")
            event.add("expires_at", Int64(1_764_003_600_000) as Int64?)
            event.add("at", Int64(1_764_000_000_000) as Int64?)
            event.add("dry_run", false)
            return event.json
        }
        _ = event()
        let before = ipwatcher_thread_allocations()
        let json = event()
        let allocations = ipwatcher_thread_allocations() - before
        // The reserved buffer, and the copy `json` returns with its closing brace.
        #expect(allocations <= 2, "\(allocations) allocations for \(json)")
    }
}
