/// A rolling window's event times packed into one Redis string: the layout the rolling counter's script writes.
///
/// The first six bytes are the oldest kept time (Unix milliseconds, big-endian); each later time follows as its
/// distance from the one before, in LEB128 (seven bits per byte, low bits first, the high bit set on every byte
/// but the last). Times are ascending. Traffic whose events are seconds apart costs two bytes per event and a
/// flood one byte, where a sorted set member with its score cost about forty: that is the memory rolling mode
/// saves. A window whose log would exceed ``packedEventLimit`` events keeps a sorted set instead (see the rolling
/// counter), because the script rewrites the whole string on every update.
public enum RollingEventLog {
    /// The most events a rule keeps (its ``DetectionRule/rollingCap``) for its windows to be packed strings;
    /// above this, rewriting the string on each batch costs more than the memory it saves.
    public static let packedEventLimit = 1024

    /// The latest time the six-byte header can hold: 2^48 - 1 ms, in the year 10889.
    public static let latestTime: Int64 = (1 << 48) - 1

    /// The events of a packed log, oldest first; nil when the bytes are not a log (too short, or a time beyond
    /// ``latestTime``).
    public static func decode(_ bytes: some Collection<UInt8>) -> [Int64]? {
        guard bytes.count >= 6 else { return nil }
        var times: [Int64] = []
        var time: Int64 = 0
        var iterator = bytes.makeIterator()
        for _ in 0..<6 { time = time << 8 | Int64(iterator.next()!) }
        times.append(time)
        var delta: Int64 = 0
        var shift: Int64 = 0
        while let byte = iterator.next() {
            guard shift < 49 else { return nil }
            delta |= Int64(byte & 0x7F) << shift
            if byte & 0x80 != 0 {
                shift += 7
                continue
            }
            time += delta
            guard time <= latestTime else { return nil }
            times.append(time)
            delta = 0
            shift = 0
        }
        return shift == 0 ? times : nil
    }

    /// Packs ascending times into a log; the inverse of ``decode(_:)``.
    ///
    /// - Precondition: `times` is not empty, ascending, and within 0 through ``latestTime``.
    public static func encode(_ times: [Int64]) -> [UInt8] {
        precondition(!times.isEmpty, "a rolling log holds at least one event")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(6 + times.count * 2)
        let first = times[0]
        precondition((0...latestTime).contains(first), "event time \(first) does not fit six bytes")
        for shift in stride(from: 40, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: first >> shift)) }
        var previous = first
        for time in times.dropFirst() {
            precondition(time >= previous && time <= latestTime, "event times must ascend and fit six bytes")
            var delta = time - previous
            previous = time
            while delta >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: delta & 0x7F) | 0x80)
                delta >>= 7
            }
            bytes.append(UInt8(delta))
        }
        return bytes
    }
}
