import Synchronization

/// The detection settings in force, replaced as a whole on reload and read once per batch.
public final class LiveDetectionSettings: Sendable {
    private let settings: Mutex<DetectionSettings>

    /// Starts with `initial`.
    public init(_ initial: DetectionSettings) {
        settings = Mutex(initial)
    }

    /// The settings now in force.
    public var current: DetectionSettings { settings.withLock { $0 } }

    /// Replaces the settings; the next batch uses them.
    public func replace(with new: DetectionSettings) {
        settings.withLock { $0 = new }
    }
}
