import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A private directory under /tmp (short, so a unix socket path in it fits `sun_path`), removed by ``remove()``.
public struct ScratchDirectory: Sendable {
    /// The directory's absolute path.
    public let path: String

    /// Makes a new, empty directory.
    public init() throws {
        var template = Array("/tmp/ipw-e2e-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw WaitTimedOut(description: "mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        path = String(cString: created)
    }

    /// Writes `text` to `name` in the directory, mode 600, and returns the file's path.
    @discardableResult
    public func write(_ text: String, to name: String) throws -> String {
        let file = path + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        return file
    }

    /// Removes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Runs `body` with a fresh scratch directory and removes it afterwards.
public func withScratchDirectory<Result>(_ body: (ScratchDirectory) async throws -> Result) async throws -> Result {
    let scratch = try ScratchDirectory()
    do {
        let result = try await body(scratch)
        scratch.remove()
        return result
    } catch {
        scratch.remove()
        throw error
    }
}
