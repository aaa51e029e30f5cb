import Foundation

/// Finds an executable that `swift build` (or `swift test`, which builds every product) made.
public enum BuiltExecutable {
    /// The places looked at for `name`, in order: next to the test bundle (the directory of
    /// `CommandLine.arguments[0]` or of the main bundle), then `.build/debug` of each of `packageRoots`.
    public static func candidates(named name: String, packageRoots: [URL]) -> [String] {
        var directories: [URL] = []
        if let first = CommandLine.arguments.first {
            directories.append(URL(fileURLWithPath: first).deletingLastPathComponent())
        }
        directories.append(Bundle.main.bundleURL.deletingLastPathComponent())
        directories.append(Bundle.main.bundleURL)
        directories += packageRoots.map { $0.appendingPathComponent(".build/debug") }
        var seen: Set<String> = []
        return directories.map { $0.appendingPathComponent(name).standardizedFileURL.path }
            .filter { seen.insert($0).inserted }
    }

    /// The first of ``candidates(named:packageRoots:)`` that is an executable file, or nil.
    public static func path(named name: String, packageRoots: [URL]) -> String? {
        candidates(named: name, packageRoots: packageRoots).first { candidate in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory) && !isDirectory.boolValue
                && FileManager.default.isExecutableFile(atPath: candidate)
        }
    }

    /// The executable's path; throws, naming every place looked at and `buildCommand`, when it was not built.
    public static func require(named name: String, packageRoots: [URL], buildCommand: String) throws -> String {
        if let path = path(named: name, packageRoots: packageRoots) { return path }
        let looked = candidates(named: name, packageRoots: packageRoots).joined(separator: ", ")
        throw WaitTimedOut(description: "the \(name) executable was not found (looked at \(looked)); build it first: \(buildCommand)")
    }

    /// The root of the ipwatcher package, which holds this file's Sources/.
    public static let ipwatcherPackageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
