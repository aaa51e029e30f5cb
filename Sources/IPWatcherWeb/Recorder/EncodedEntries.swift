import NIOCore
import RESP

/// Queue entries already encoded as RESP bulk strings, passed to ``RESPCommandEncoder`` as one argument list.
///
/// Lets the recorder and the feeder build `LPUSH key e1 … en` through the ordinary encoder (which writes the array header
/// from ``respArgumentCount``) while the entries themselves were written without any intermediate values.
package struct EncodedEntries: RESPArgument {
    /// The bulk strings, back to back.
    package let bytes: ByteBuffer
    /// How many bulk strings ``bytes`` holds.
    package let count: Int

    /// Wraps `count` bulk strings written back to back into `bytes`.
    package init(bytes: ByteBuffer, count: Int) {
        self.bytes = bytes
        self.count = count
    }

    package var respArgumentCount: Int { count }

    package func encodeRESP(into buffer: inout ByteBuffer) {
        buffer.writeImmutableBuffer(bytes)
    }
}
