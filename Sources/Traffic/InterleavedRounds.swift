import Detection

/// The `interleaved` scenario's addresses: users each sent once per round, every round in the same seeded order,
/// so an address comes back only after every other one has been sent.
///
/// A batch of the worker then rarely holds an address twice, and cannot fold its requests into one counter
/// update: the hard case for Redis that the `mixed` scenario, whose units burst within one chunk, hides.
/// Addresses are drawn (and units registered) by the generator on first use, so a short feed costs no more than
/// it sends.
struct InterleavedRounds: Sendable {
    /// The round's order: a permutation of the address slots.
    private let order: [Int32]
    /// Each slot's address and ground-truth unit index, once drawn.
    private var addresses: [IPAddress?]
    private var unitIndices: [Int32]
    /// Requests handed out so far.
    private var sent = 0

    /// `count` address slots (at least one) in an order shuffled with `random`.
    init(count: Int, random: inout SplitMix64) {
        var order = (0..<Int32(clamping: max(count, 1))).map { $0 }
        if order.count > 1 {
            for index in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(index, random.next(below: index + 1))
            }
        }
        self.order = order
        addresses = Array(repeating: nil, count: order.count)
        unitIndices = Array(repeating: -1, count: order.count)
    }

    /// The next request's slot, with its address and unit index once drawn (nil the first time it comes up:
    /// draw them and ``remember(_:address:unit:)`` them).
    mutating func next() -> (slot: Int, drawn: (address: IPAddress, unit: Int32)?) {
        let slot = Int(order[sent % order.count])
        sent += 1
        guard let address = addresses[slot] else { return (slot, nil) }
        return (slot, (address, unitIndices[slot]))
    }

    /// Records the address drawn for `slot` and its unit's ground-truth index.
    mutating func remember(_ slot: Int, address: IPAddress, unit: Int32) {
        addresses[slot] = address
        unitIndices[slot] = unit
    }
}
