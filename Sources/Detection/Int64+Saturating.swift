extension Int64 {
    /// `self + other`, pinned to the representable range instead of trapping.
    ///
    /// Times and window lengths come from configuration and queue entries; an absurd value should give an
    /// absurd but harmless answer, never crash the worker.
    @inline(__always)
    public func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// `self - other`, pinned to the representable range instead of trapping.
    @inline(__always)
    public func saturatingSubtract(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other > 0 ? .min : .max
    }

    /// `self * other`, pinned to the representable range instead of trapping.
    @inline(__always)
    public func saturatingMultiply(_ other: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return product }
        return (self < 0) == (other < 0) ? .max : .min
    }
}
