import Foundation

extension LocalRedisServer {
    /// Finds an executable by name in `PATH`, then in /usr/bin, /usr/local/bin, /usr/sbin and /opt/homebrew/bin.
    ///
    /// The fixed directories matter because test runners and IDEs often start with a minimal `PATH`.
    /// A name containing a slash is taken as a path and only checked. Also used to find `openssl`.
    public static func executablePath(named name: String = "redis-server") -> String? {
        if name.contains("/") {
            return isExecutableFile(name) ? name : nil
        }
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? ""
        var directories = searchPath.split(separator: ":", omittingEmptySubsequences: true).map(String.init)
        for fallback in ["/usr/bin", "/usr/local/bin", "/usr/sbin", "/opt/homebrew/bin"] where !directories.contains(fallback) {
            directories.append(fallback)
        }
        for directory in directories {
            let candidate = (directory as NSString).appendingPathComponent(name)
            if isExecutableFile(candidate) {
                return candidate
            }
        }
        return nil
    }

    private static func isExecutableFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            return false
        }
        return FileManager.default.isExecutableFile(atPath: path)
    }
}
