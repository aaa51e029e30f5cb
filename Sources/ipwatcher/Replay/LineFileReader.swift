import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads a file (or standard input) in large blocks and hands out its lines, without a copy per line.
///
/// A line is only valid inside the call that receives it. Blocks are 4 MiB, grown for a line longer than that;
/// `memchr` finds the line ends. Nothing is decoded: lines are bytes, as the replay parses them.
struct LineFileReader {
    /// The descriptor read; closed by ``forEachLine(_:)`` unless it is standard input.
    private let descriptor: Int32
    /// The name in error messages.
    let name: String

    /// Opens `path`; `-` is standard input.
    init(path: String) throws(LineFileReaderError) {
        if path == "-" {
            descriptor = 0
            name = "standard input"
            return
        }
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else { throw LineFileReaderError(path: path, reason: String(cString: strerror(errno))) }
        descriptor = opened
        name = path
    }

    /// Calls `body` with every line, without its line feed; a last line without one counts too.
    func forEachLine(_ body: (UnsafeRawBufferPointer) -> Void) throws(LineFileReaderError) {
        defer { if descriptor != 0 { close(descriptor) } }
        var capacity = 4 << 20
        var buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        var filled = 0
        while true {
            if filled == capacity {
                // One line fills the whole block: grow it.
                let larger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
                larger.copyMemory(from: buffer, byteCount: filled)
                buffer.deallocate()
                buffer = larger
                capacity *= 2
            }
            let count = read(descriptor, buffer + filled, capacity - filled)
            if count < 0 {
                if errno == EINTR { continue }
                throw LineFileReaderError(path: name, reason: String(cString: strerror(errno)))
            }
            if count == 0 {
                if filled > 0 { body(UnsafeRawBufferPointer(start: buffer, count: filled)) }
                return
            }
            let end = filled + count
            var start = 0
            while start < end, let found = memchr(buffer + start, 0x0A, end - start) {
                let newline = buffer.distance(to: found)
                body(UnsafeRawBufferPointer(start: buffer + start, count: newline - start))
                start = newline + 1
            }
            filled = end - start
            if filled > 0 && start > 0 { memmove(buffer, buffer + start, filled) }
        }
    }
}
