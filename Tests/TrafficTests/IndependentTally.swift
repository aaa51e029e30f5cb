import Detection
import Traffic

// A second, deliberately plain computation of per-unit counts and window peaks from raw events, to check the
// generator's ground truth against. This file declares no suite.

/// What the tests see for one unit, computed from the events alone.
struct TalliedUnit: Equatable {
    var sent = 0
    var times: [Int64] = []
    var addresses: Set<IPAddress> = []

    /// Most events in one fixed window, by Detection's FixedWindow.
    func fixedPeak(_ window: FixedWindow) -> Int {
        var perWindow: [Int64: Int] = [:]
        for time in times { perWindow[window.index(of: time), default: 0] += 1 }
        return perWindow.values.max() ?? 0
    }

    /// Most events within `length` ms of one another (both ends included), by brute force.
    func rollingPeak(_ length: Int64) -> Int {
        var best = 0
        for end in times {
            best = max(best, times.filter { $0 <= end && $0 >= end - length }.count)
        }
        return best
    }
}

/// Groups `events` by their unit under `rule`, naming units canonically.
func tally(_ events: [TrafficEvent], rule: DetectionRule) -> [String: TalliedUnit] {
    var units: [String: TalliedUnit] = [:]
    for event in events {
        let name = rule.unit(for: event.address).name
        units[name, default: TalliedUnit()].sent += 1
        if let time = event.timeMilliseconds { units[name, default: TalliedUnit()].times.append(time) }
        units[name, default: TalliedUnit()].addresses.insert(event.address)
    }
    return units
}

/// Whether `address` lies in the documentation or shared ranges the generator promises to use.
func isInDocumentationRanges(_ address: IPAddress) -> Bool {
    let ranges = [
        "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15", "100.64.0.0/10", "2001:db8::/32",
    ]
    return ranges.compactMap(IPNetwork.init).contains { $0.contains(address) }
}
