/// A file a replay cannot read.
struct LineFileReaderError: Error, CustomStringConvertible {
    /// The file.
    let path: String
    /// The system's reason.
    let reason: String

    var description: String { "cannot read \(path): \(reason)" }
}
