import CMallocCounter
import Detection
@testable import IPWatcherDaemon
@testable import IPWatcherWeb
import Logging
import NIOCore
import RESP
import RedisClient
import Testing

/// The hot path — parse a popped batch, add it up per unit, encode the counter scripts — allocates a few
/// times per batch, not once per entry. Counted with interposed malloc/calloc/realloc on the test's own thread
/// (CMallocCounter), so tests running in parallel do not disturb the count.
///
/// Only an optimised build says anything about the shipped binary (a debug build boxes closures and keeps
/// generics unspecialised, which allocates per call), so the count is checked in release builds: `make alloc-check`,
/// i.e. `swift test -c release -Xswiftc -enable-testing --package-path AllocationCheck` (`-enable-testing` for
/// the `@testable import`s, which reach into the worker's and the web tier's internals).
@Suite struct HotPathAllocationTests {
    #if DEBUG
    static let isOptimized = false
    #else
    static let isOptimized = true
    #endif

    /// 10,000 entries over 1,000 units, as a batch popped from Redis would hold them.
    private static let entries: [ByteBuffer] = (0..<10_000).map { index in
        ByteBuffer(string: "198.51.\(100 + (index % 1000) / 250).\(index % 250)")
    }

    @Test func theCounterSeesAnAllocationOnThisThread() {
        let before = ipwatcher_thread_allocations()
        let array = [Int](repeating: 7, count: 1000)
        let after = ipwatcher_thread_allocations()
        #expect(array.count == 1000)
        #expect(after > before, "the interposed allocator is not in use: the test below would prove nothing")
    }

    @Test(.enabled(if: isOptimized, "allocation counts mean something only in an optimised build: make alloc-check"))
    func preparingAndEncodingABatchAllocatesPerBatchNotPerEntry() throws {
        let client = RedisServerClient(endpoint: try RedisEndpoint(url: "redis://127.0.0.1:1"))
        let settings = WorkerSettings()
        var processor = BatchProcessor(
            client: RedisRouter(.server(client)), settings: settings, statistics: WorkerStatistics(),
            logger: Logger(label: "alloc-test"))
        let counter = FixedWindowCounter(keys: settings.keys)
        var encoder = RESPCommandEncoder()
        let now: Int64 = 1_764_000_000_000
        let head = RedisScriptCall.evalsha(String(repeating: "a", count: 40))

        func oneBatch() -> (allocations: UInt64, groups: Int, bytes: Int) {
            encoder.reset()
            let before = ipwatcher_thread_allocations()
            let batch = processor.prepare(Self.entries, detection: settings.detection, now: now)
            let part = batch.counters[0]
            for chunk in 0..<FixedWindowCounter.calls(for: part.groups.count) {
                counter.encode(
                    FixedWindowCounter.chunk(chunk, of: part.groups), of: part,
                    marker: settings.keys.appliedKey(batchTag: part.tag, chunk: chunk), head: head, into: &encoder)
            }
            let after = ipwatcher_thread_allocations()
            return (after - before, part.groups.count, encoder.buffer.readableBytes)
        }

        // Warm-up: the aggregator's table, the encoder's buffer and the batch arrays reach their size.
        _ = oneBatch()
        _ = oneBatch()
        let measured = oneBatch()
        print("hot path: \(measured.allocations) allocations for 10,000 entries in \(measured.groups) units")
        #expect(measured.groups == 1000)
        #expect(measured.bytes > 10_000)
        // 10,000 entries and 1,000 units: a per-entry or per-unit allocation would show as thousands.
        #expect(measured.allocations < 50, "\(measured.allocations) allocations for a batch of 10,000 entries")
    }

    /// The web tier's per-request work: a mirror lookup (canonicalise, one dictionary lookup) and a record
    /// (append to the buffer) allocate nothing once the buffer has grown.
    @Test(.enabled(if: isOptimized, "allocation counts mean something only in an optimised build: make alloc-check"))
    func webTierLookupsAndRecordsDoNotAllocate() throws {
        let mirror = BlocklistMirror(endpoint: try RedisEndpoint(url: "redis://127.0.0.1:1"))
        let addresses = (0..<1000).map { IPAddress.v4(0xC633_6400 &+ UInt32($0)) }
            + (0..<1000).map { IPAddress.v6(high: 0x2001_0DB8_0000_0000 | UInt64($0), low: 1) }
        mirror.state.withLock { state in
            for address in addresses.prefix(500) {
                state.units[DetectionUnit(address: address, ipv4Prefix: 32, ipv6Prefix: 64)] = .some(nil)
            }
        }
        let recorder = AddressRecorder(
            router: RedisRouter(.server(RedisServerClient(endpoint: try RedisEndpoint(url: "redis://127.0.0.1:1")))),
            settings: .init(capacity: 100_000))
        func round() -> (allocations: UInt64, blocked: Int) {
            let before = ipwatcher_thread_allocations()
            var blocked = 0
            for address in addresses {
                if mirror.isBlocked(address) { blocked += 1 }
                recorder.record(address, atMilliseconds: 1)
            }
            return (ipwatcher_thread_allocations() - before, blocked)
        }
        // Warm-up: the recorder's buffer grows to hold the rounds.
        for _ in 0..<10 { _ = round() }
        let measured = round()
        print("web tier: \(measured.allocations) allocations for 2,000 lookups and records")
        #expect(measured.blocked == 500)
        #expect(measured.allocations == 0, "\(measured.allocations) allocations for 2,000 lookups and records")
    }
}
