import Detection
import NIOCore
import RESP

/// A Redis key made of a fixed prefix and a unit's canonical name, written straight into the command buffer.
///
/// The hot path builds one key per unit per batch; composing it here from the unit's stack-formatted name
/// avoids a String per key. Units come only from parsed addresses, so a key can never leave the prefix.
struct UnitKeyArgument: RESPArgument {
    /// Everything before the unit's name, such as `ipwatcher:fixed:60:29400000:`.
    let prefix: String
    let unit: DetectionUnit

    var respArgumentCount: Int { 1 }

    func encodeRESP(into buffer: inout ByteBuffer) {
        var prefix = self.prefix
        prefix.withUTF8 { prefixBytes in
            unit.withName { name in
                buffer.writeRESPBulk(parts: UnsafeRawBufferPointer(prefixBytes), name)
            }
        }
    }
}
