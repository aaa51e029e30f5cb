import ArgumentParser
import Foundation
import IPWatcherDaemon

/// `ipwatcher check-config`: the effective configuration, secrets redacted, or the first error.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Print the effective configuration (file, environment and flags merged), secrets redacted.",
        discussion: "Exit status 0 when valid, 78 with one line naming the key when not."
    )

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = try await options.load()
        do {
            _ = try configuration.endpoint
        } catch {
            FileHandle.standardError.write(Data("ipwatcher: configuration: \(error)\n".utf8))
            throw ExitCode(78)
        }
        for warning in configuration.warnings(filePath: options.filePath) {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        print(configuration.renderedYAML(), terminator: "")
    }
}
