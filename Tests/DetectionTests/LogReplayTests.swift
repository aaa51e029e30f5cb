import Detection
import Testing

/// Lines into detectors: formats, rejected lines, and several configurations fed the same requests.
@Suite("LogReplay")
struct LogReplayTests {
    private func detector(threshold: Int) -> InMemoryDetector {
        InMemoryDetector(rules: [DetectionRule(threshold: threshold, windowSeconds: 60)], banSeconds: [3600])
    }

    @Test("entries with and without times, CRLF and blank lines; bad lines are counted and skipped")
    func entries() {
        var replay = LogReplay(format: .auto, detectors: [detector(threshold: 3)])
        replay.process(text: "10.0.0.1 1000\r\n\n10.0.0.1 2000\nnot-an-address\n10.0.0.1\n10.0.0.1 1718000000123 extra\n")
        #expect(replay.format == .entries)
        #expect(replay.lines == 5)
        #expect(replay.rejected == 2)
        #expect(replay.detectors[0].blocks.map(\.at) == [2000])
    }

    @Test("combined logs are detected and read; two detectors see the same requests")
    func combinedTwoDetectors() {
        var replay = LogReplay(format: .auto, detectors: [detector(threshold: 3), detector(threshold: 4)])
        let line = #"198.51.100.4 - - [06/Dec/2026:01:00:0X +0000] "GET / HTTP/1.1" 200 1 "-" "x""#
        replay.process(text: (1...3).map { line.replacingOccurrences(of: "X", with: "\($0)") }.joined(separator: "\n"))
        #expect(replay.format == .combined)
        #expect(replay.rejected == 0)
        #expect(replay.detectors[0].blocks.count == 1)
        #expect(replay.detectors[1].blocks.isEmpty)
        #expect(replay.detectors.map(\.tally.counted) == [3, 3])
    }

    @Test("auto: lines neither format reads are rejected until one decides; later entries are then rejected")
    func autoDecidesOnFirstReadableLine() {
        var replay = LogReplay(format: .auto, detectors: [detector(threshold: 3)])
        replay.process(text: "garbage\n-\n" + #"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /" 200 1"# + "\n10.0.0.1 5\n")
        #expect(replay.format == .combined)
        #expect(replay.lines == 4)
        #expect(replay.rejected == 3)
        var entries = LogReplay(format: .auto, detectors: [detector(threshold: 3)])
        entries.process(text: "10.0.0.1\n")
        #expect(entries.format == .entries && entries.rejected == 0)
    }
}
