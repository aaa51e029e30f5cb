#if canImport(Glibc)
import Detection
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import Synchronization

/// A swift-log handler that writes each event to standard error as one ``LogLineFormatter`` line, in its
/// ``LogLineStyle`` (text or JSON, with syslog priorities when stderr is the journal).
///
/// Each line goes out in a single `write(2)` under a process-wide lock, so lines from concurrent loggers never
/// interleave and a line is never split by another.
public struct StandardErrorLogHandler: LogHandler {
    #if canImport(Glibc)
    private static let systemWrite = Glibc.write
    #else
    private static let systemWrite = Darwin.write
    #endif

    /// Serialises writes from every handler of the process.
    private static let writeLock = Mutex<Void>(())

    private let label: String
    private let style: LogLineStyle
    /// The least severe level written.
    public var logLevel: Logger.Level
    /// Metadata attached to every event of this handler.
    public var metadata: Logger.Metadata = [:]
    /// Metadata computed per event, merged below ``metadata`` and the event's own.
    public var metadataProvider: Logger.MetadataProvider?

    /// A handler for the logger named `label`, writing events at `level` or more severe in `style`.
    public init(
        label: String, level: Logger.Level = .info, style: LogLineStyle = LogLineStyle(),
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.style = style
        self.logLevel = level
        self.metadataProvider = metadataProvider
    }

    /// Handler metadata by key.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Formats and writes one event.
    public func log(event: LogEvent) {
        var merged = metadataProvider?.get() ?? [:]
        merged.merge(metadata) { _, handler in handler }
        if let own = event.metadata { merged.merge(own) { _, event in event } }
        if let error = event.error, merged["error"] == nil { merged["error"] = "\(error)" }
        let line = LogLineFormatter.line(
            style: style, timestampMilliseconds: WallClock().nowMilliseconds(), level: event.level, label: label,
            message: event.message.description, metadata: merged)
        Self.write(line + "\n")
    }

    private static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            writeLock.withLock { _ in
                var offset = 0
                while offset < bytes.count {
                    let written = Self.systemWrite(2, bytes.baseAddress! + offset, bytes.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0 && errno == EINTR {
                        continue
                    } else {
                        return
                    }
                }
            }
        }
    }
}
