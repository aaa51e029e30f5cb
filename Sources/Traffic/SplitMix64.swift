/// A small, fast, seeded random number generator (SplitMix64), so a scenario is the same on every run and
/// platform for the same seed.
///
/// The standard library's generator is seeded randomly and cannot be replayed; this one has 64 bits of state
/// and costs a few nanoseconds per value, which matters when millions of requests are generated per second.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64

    /// Creates a generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// A value in `range`, by Lemire's multiply-shift (the slight bias is irrelevant for traffic shapes).
    ///
    /// Cheaper than `Int.random(in:using:)`, which loops to remove bias; an empty range returns its lower bound.
    @inlinable
    public mutating func next(in range: ClosedRange<Int>) -> Int {
        let width = UInt64(bitPattern: Int64(range.upperBound &- range.lowerBound)) &+ 1
        if width == 0 { return range.lowerBound &+ Int(truncatingIfNeeded: next()) }
        return range.lowerBound + Int(truncatingIfNeeded: next().multipliedFullWidth(by: width).high)
    }

    /// A value in `0..<bound`; `bound` must be positive.
    @inlinable
    public mutating func next(below bound: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }
}
