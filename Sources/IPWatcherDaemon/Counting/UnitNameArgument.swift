import Detection
import NIOCore
import RESP

/// A unit's canonical name as a command argument (a counter hash's field), formatted on the stack.
struct UnitNameArgument: RESPArgument {
    let unit: DetectionUnit

    var respArgumentCount: Int { 1 }

    func encodeRESP(into buffer: inout ByteBuffer) {
        unit.withName { buffer.writeRESPBulk($0) }
    }
}
