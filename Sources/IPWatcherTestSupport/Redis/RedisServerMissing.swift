/// Thrown by ``withRedisServer(_:deadline:sourceLocation:_:)`` after it recorded the missing-server issue, to
/// stop the test body.
public struct RedisServerMissing: Error, CustomStringConvertible {
    /// Creates the error.
    public init() {}

    /// Says what to install.
    public var description: String { RedisTools.missingServerMessage }
}
