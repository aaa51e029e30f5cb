@testable import IPWatcherDaemon
import Testing

/// Batch tags name rolling members and applied-markers, so they must not repeat across runs and should be short.
@Suite("Batch tags")
struct BatchTagTests {
    @Test("a run id is eight letters or digits and differs from run to run")
    func runIDsAreShortAndRandom() {
        let ids = (0..<1000).map { _ in BatchProcessor.randomRunID() }
        #expect(ids.allSatisfy { $0.count == 8 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } })
        #expect(Set(ids).count == ids.count)
    }
}
