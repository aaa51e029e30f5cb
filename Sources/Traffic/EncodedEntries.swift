import NIOCore
import RESP

/// Queue entries already encoded as RESP bulk strings, passed to ``RESPCommandEncoder`` as one argument list.
///
/// Lets the feeder build `LPUSH key e1 … en` through the ordinary encoder (which writes the array header
/// from ``respArgumentCount``) while the entries themselves were written without any intermediate values.
struct EncodedEntries: RESPArgument {
    /// The bulk strings, back to back.
    let bytes: ByteBuffer
    /// How many bulk strings ``bytes`` holds.
    let count: Int

    var respArgumentCount: Int { count }

    func encodeRESP(into buffer: inout ByteBuffer) {
        buffer.writeImmutableBuffer(bytes)
    }
}
