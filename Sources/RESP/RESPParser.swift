import NIOCore

/// Incremental validator that cuts complete RESP2/RESP3 replies out of a byte stream.
///
/// The parser never copies a payload: each reply it returns is a ``RESPToken`` whose bytes are a slice of the
/// input buffer, validated once here and decoded later, on demand. Bytes that do not yet form a whole reply are
/// left in the buffer and the work done on them is remembered, so a reply that arrives in many pieces is
/// scanned once in total, not once per piece. Declared lengths, element counts, line lengths and nesting depth
/// are checked against ``RESPParserLimits`` as soon as a header is read.
public struct RESPParser: Sendable {
    /// The bounds enforced on every reply.
    public var limits: RESPParserLimits
    /// Bytes of the reply in progress already validated, counted from the buffer's reader index.
    private var scanned = 0
    /// For each aggregate still open in the reply in progress, how many child values it still expects.
    private var open: [Int] = []

    /// Creates a parser enforcing `limits`.
    public init(limits: RESPParserLimits = .init()) {
        self.limits = limits
    }

    /// Removes the next complete reply from the front of `buffer`, or returns nil when more bytes are needed.
    ///
    /// On nil, `buffer` is unchanged and the parser keeps its progress: call again with the same buffer
    /// after appending the bytes that arrived. After an error the stream is unusable; call ``reset()`` before
    /// parsing an unrelated stream.
    public mutating func next(from buffer: inout ByteBuffer) throws(RESPParsingError) -> RESPToken? {
        let outcome = buffer.withUnsafeReadableBytes { self.advance(over: $0) }
        switch outcome {
        case .needMore:
            return nil
        case .failed(let error):
            reset()
            throw error
        case .complete:
            let length = scanned
            scanned = 0
            guard let slice = buffer.readSlice(length: length) else {
                reset()
                throw RESPParsingError(.incomplete, offset: length)
            }
            return RESPToken(validated: slice)
        }
    }

    /// Forgets any partly scanned reply.
    public mutating func reset() {
        scanned = 0
        open.removeAll(keepingCapacity: true)
    }

    enum Outcome {
        case complete
        case needMore
        case failed(RESPParsingError)
    }

    /// Validates as many values as the bytes allow, resuming where the previous call stopped.
    private mutating func advance(over bytes: UnsafeRawBufferPointer) -> Outcome {
        while true {
            switch RESPScanner.scanHeader(bytes, at: scanned, limits: limits) {
            case .needMore:
                return .needMore
            case .failed(let error):
                return .failed(error)
            case .value(let end):
                scanned = end
                completeOneValue()
            case .aggregate(let end, let children):
                scanned = end
                if children == 0 {
                    completeOneValue()
                } else {
                    guard open.count < limits.maxDepth else {
                        return .failed(RESPParsingError(.depthLimitExceeded, offset: end))
                    }
                    open.append(children)
                }
            }
            if open.isEmpty { return .complete }
        }
    }

    /// Counts a finished value against its enclosing aggregates, closing each that it completes.
    private mutating func completeOneValue() {
        while let last = open.indices.last {
            open[last] -= 1
            if open[last] > 0 { return }
            open.removeLast()
        }
    }
}
