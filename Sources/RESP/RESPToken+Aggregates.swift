import NIOCore

extension RESPToken {
    /// The elements of an array, set or push reply, decoded one at a time as they are iterated.
    public struct Array: Sendable, Hashable, Sequence {
        /// The concatenated bytes of the elements.
        let elements: ByteBuffer
        /// How many elements the reply declared.
        public let count: Int

        /// Walks the elements in order without copying their bytes.
        public struct Iterator: IteratorProtocol {
            var remaining: ByteBuffer
            var left: Int

            public mutating func next() -> RESPToken? {
                guard left > 0 else { return nil }
                let length = remaining.withUnsafeReadableBytes { RESPScanner.valueLength($0, at: 0) }
                guard let length, let element = remaining.readSlice(length: length) else {
                    left = 0
                    return nil
                }
                left -= 1
                return RESPToken(validated: element)
            }
        }

        public func makeIterator() -> Iterator { Iterator(remaining: elements, left: count) }

        /// Whether the reply declared no elements.
        public var isEmpty: Bool { count == 0 }

        public var underestimatedCount: Int { count }
    }

    /// The key-value pairs of a map or attribute reply, decoded as they are iterated.
    public struct Map: Sendable, Hashable, Sequence {
        let elements: ByteBuffer
        /// How many pairs the reply declared.
        public let count: Int

        /// Walks the pairs in order.
        public struct Iterator: IteratorProtocol {
            var values: RESPToken.Array.Iterator

            public mutating func next() -> (key: RESPToken, value: RESPToken)? {
                guard let key = values.next(), let value = values.next() else { return nil }
                return (key, value)
            }
        }

        public func makeIterator() -> Iterator {
            Iterator(values: RESPToken.Array.Iterator(remaining: elements, left: count * 2))
        }

        public var underestimatedCount: Int { count }
    }
}
