import ArgumentParser
import Detection
import Foundation
import IPWatcherDaemon

/// `ipwatcher replay`: what the rules of a configuration would have blocked in recorded traffic.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Runs the detection offline over recorded traffic and prints what would have been blocked.",
        discussion: """
            Reads queue entries (ADDRESS or ADDRESS EPOCH_MS) or web-server access logs in the common or combined \
            format (nginx's and Apache's default); - reads standard input. The rules, unit prefixes, allowlist, \
            ban lengths and escalation come from --config, as the worker reads them; counts are kept in memory, \
            at the traffic's own times. Nothing touches Redis. With --compare, prints the units that only one of \
            the two configurations blocks.
            Exit status: 0 on success, 1 when a file cannot be read, 78 when a configuration is invalid.
            """
    )

    @Option(help: "The worker's configuration file (default: /etc/ipwatcher/ipwatcher.yaml if present, else the defaults).")
    var config: String?

    @Option(help: "A second configuration: print the units only one of the two blocks.")
    var compare: String?

    @Option(help: "auto, entries or combined (auto: decided by the first line).")
    var format: ReplayFormat = .auto

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Argument(help: "Files of recorded traffic, read in order as one stream; - is standard input.")
    var logs: [String]

    func validate() throws {
        guard !logs.isEmpty else { throw ValidationError("name at least one file of traffic, or - for standard input") }
    }

    func run() async throws {
        var detectors = [try await detector(for: config, fileIsExplicit: config != nil)]
        if let compare { detectors.append(try await detector(for: compare, fileIsExplicit: true)) }
        var replay = LogReplay(format: format, detectors: detectors)
        for path in logs {
            do {
                try LineFileReader(path: path).forEachLine { replay.process(line: $0) }
            } catch {
                FileHandle.standardError.write(Data("ipwatcher replay: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
        let report = ReplayReport(replay: replay, configurations: [config ?? "defaults", compare ?? ""])
        print(json ? report.json : report.text, terminator: "")
    }

    /// The detector for the configuration at `path` (nil: the default file if present, else the defaults).
    private func detector(for path: String?, fileIsExplicit: Bool) async throws -> InMemoryDetector {
        let file = path ?? (FileManager.default.fileExists(atPath: IPWatcherConfiguration.defaultFilePath)
            ? IPWatcherConfiguration.defaultFilePath : nil)
        let configuration: IPWatcherConfiguration
        do {
            configuration = try await IPWatcherConfiguration.load(
                file: file, fileIsExplicit: fileIsExplicit, environment: ProcessInfo.processInfo.environment,
                overrides: [:])
        } catch {
            FileHandle.standardError.write(Data("ipwatcher replay: configuration \(file ?? "defaults"): \(error)\n".utf8))
            throw ExitCode(78)
        }
        let detection = DetectionSettings(configuration: configuration)
        return InMemoryDetector(
            rules: detection.rules, banSeconds: detection.rules.map(detection.banSeconds(of:)),
            escalation: detection.escalation)
    }
}

extension ReplayFormat: ExpressibleByArgument {}
