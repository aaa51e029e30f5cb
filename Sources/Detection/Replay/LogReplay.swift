/// Feeds recorded traffic, line by line, to one or more ``InMemoryDetector``s: the core of `ipwatcher replay`.
///
/// Each line is parsed once, whatever the number of detectors, so two configurations compared see exactly the
/// same requests. Empty lines (and a trailing `\r`) are ignored; a line that is neither an entry nor an access-log
/// line is counted in ``rejected`` and skipped, so one bad line costs nothing else.
public struct LogReplay: Sendable {
    /// The format lines are read in; ``ReplayFormat/auto`` until the first line one of the formats reads decides.
    public private(set) var format: ReplayFormat
    /// Non-empty lines read.
    public private(set) var lines = 0
    /// Lines that held no address (and time) in the format.
    public private(set) var rejected = 0
    /// The detectors, in the order given.
    public private(set) var detectors: [InMemoryDetector]

    /// A replay reading `format` into `detectors` (at least one).
    public init(format: ReplayFormat, detectors: [InMemoryDetector]) {
        precondition(!detectors.isEmpty, "at least one detector")
        self.format = format
        self.detectors = detectors
    }

    /// Reads one line, without its line feed.
    public mutating func process(line: UnsafeRawBufferPointer) {
        var length = line.count
        if length > 0 && line[length - 1] == UInt8(ascii: "\r") { length -= 1 }
        guard length > 0 else { return }
        let line = UnsafeRawBufferPointer(rebasing: line[0..<length])
        lines += 1
        if format == .auto {
            // The first line either format reads decides; lines before it are rejected.
            if CommonLogLine.parse(line) != nil {
                format = .combined
            } else if case .success = QueueEntryParser.parse(line) {
                format = .entries
            } else {
                rejected += 1
                return
            }
        }
        let address: IPAddress
        let time: Int64?
        if format == .combined {
            guard let parsed = CommonLogLine.parse(line) else {
                rejected += 1
                return
            }
            (address, time) = (parsed.address, parsed.milliseconds)
        } else {
            guard case .success(let entry) = QueueEntryParser.parse(line) else {
                rejected += 1
                return
            }
            (address, time) = (entry.address, entry.eventTimeMilliseconds)
        }
        if detectors.count == 1 {
            detectors[0].add(address, at: time)
        } else {
            for index in detectors.indices { detectors[index].add(address, at: time) }
        }
    }

    /// Reads `text` as lines separated by line feeds; for tests and small inputs.
    public mutating func process(text: String) {
        var text = text
        text.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            var start = 0
            for index in 0...raw.count where index == raw.count || raw[index] == UInt8(ascii: "\n") {
                process(line: UnsafeRawBufferPointer(rebasing: raw[start..<index]))
                start = index + 1
            }
        }
    }
}
