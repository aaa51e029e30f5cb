import NIOCore
import RESP

/// A counter hash's key, `<prefix>{<bucket>}`, written straight into the command buffer with its tag formatted on
/// the stack (``Detection/KeySchema/bucketKey(windowSeconds:windowIndex:bucket:)``).
struct BucketKeyArgument: RESPArgument {
    /// Everything before the tag, such as `ipwatcher:buckets:60:29400000:`.
    let prefix: String
    let bucket: Int

    var respArgumentCount: Int { 1 }

    func encodeRESP(into buffer: inout ByteBuffer) {
        var prefix = self.prefix
        let bucket = self.bucket
        withUnsafeTemporaryAllocation(byteCount: 24, alignment: 1) { tag in
            var digits = max(0, bucket)
            var start = tag.count - 1
            tag[start] = UInt8(ascii: "}")
            repeat {
                start -= 1
                tag[start] = UInt8(ascii: "0") + UInt8(digits % 10)
                digits /= 10
            } while digits > 0
            start -= 1
            tag[start] = UInt8(ascii: "{")
            let tagBytes = UnsafeRawBufferPointer(rebasing: tag[start...])
            prefix.withUTF8 { buffer.writeRESPBulk(parts: UnsafeRawBufferPointer($0), tagBytes) }
        }
    }
}
