#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file operations the configuration needs, on POSIX calls directly: their errors map to one-line
/// `strerror` texts, and a missing file must be told apart from an unreadable one.
enum ConfigurationFileSystem {
    /// The outcome of reading a whole file.
    enum ReadResult {
        /// The file's bytes.
        case contents([UInt8])
        /// No file at that path (`ENOENT`).
        case missing
        /// Anything else, as a one-line reason such as `Permission denied`.
        case failed(String)
    }

    /// Files larger than this are refused: a configuration or password file is a few kilobytes, and a path
    /// pointing at something huge (or endless, like `/dev/zero`) should fail instead of exhausting memory.
    static let maximumFileSize = 4 << 20

    /// Reads the whole file at `path`.
    static func read(_ path: String) -> ReadResult {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            return code == ENOENT ? .missing : .failed(reason(code))
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .failed(reason(errno)) }
        guard (info.st_mode & S_IFMT) != S_IFDIR else { return .failed("is a directory") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                systemRead(descriptor, buffer.baseAddress, buffer.count)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return .failed(reason(errno))
            }
            if count == 0 { return .contents(bytes) }
            bytes.append(contentsOf: chunk[..<count])
            if bytes.count > maximumFileSize { return .failed("is larger than \(maximumFileSize >> 20) MiB") }
        }
    }

    /// The permission bits (`0o777` part of the mode) of the file at `path`, following symbolic links; nil if it
    /// cannot be examined.
    static func permissions(_ path: String) -> UInt32? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt32(info.st_mode) & 0o777
    }

    /// Nil when the process can read the file at `path`, otherwise why not (`No such file or directory`, …).
    static func unreadableReason(_ path: String) -> String? {
        access(path, R_OK) == 0 ? nil : reason(errno)
    }

    /// `strerror` text for an `errno` value.
    private static func reason(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// `read(2)`, under a name that the `read(_:)` above does not shadow.
    private static func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        #if canImport(Darwin)
        return Darwin.read(descriptor, buffer, count)
        #elseif canImport(Musl)
        return Musl.read(descriptor, buffer, count)
        #else
        return Glibc.read(descriptor, buffer, count)
        #endif
    }
}
