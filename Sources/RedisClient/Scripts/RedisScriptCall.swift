import NIOCore
import RESP

/// The first two words of a script call: `EVALSHA <sha1>` or `FCALL <function>`, followed in both by the key
/// count, the keys and the arguments.
///
/// Code that encodes its own script calls (pipelines of them) writes this first, so it works with either way of
/// running scripts without knowing which one is in use.
public struct RedisScriptCall: RESPArgument, Sendable, Hashable {
    /// `EVALSHA` or `FCALL`.
    public let command: String
    /// The script's SHA1 digest, or the function's name.
    public let target: String

    /// A call of the loaded script with digest `sha1`.
    public static func evalsha(_ sha1: String) -> RedisScriptCall { RedisScriptCall(command: "EVALSHA", target: sha1) }

    /// A call of the function `name`.
    public static func fcall(_ name: String) -> RedisScriptCall { RedisScriptCall(command: "FCALL", target: name) }

    public var respArgumentCount: Int { 2 }

    public func encodeRESP(into buffer: inout ByteBuffer) {
        command.encodeRESP(into: &buffer)
        target.encodeRESP(into: &buffer)
    }
}
