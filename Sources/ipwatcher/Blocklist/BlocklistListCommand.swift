import ArgumentParser
import Foundation
import IPWatcherDaemon

/// `ipwatcher blocklist list`: every blocked unit with the time its ban has left.
struct BlocklistListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Blocked units with time left.")

    @OptionGroup var options: ConfigurationOptions

    @Flag(help: "Print JSON instead of lines.")
    var json = false

    func run() async throws {
        let context = try await BlocklistContext(options: options)
        let entries = try await context.withStore { try await $0.listUnits() }
        let now = WallClock().nowMilliseconds()
        if json {
            let items = entries.map { entry in
                "{\"unit\":\"\(entry.unit)\",\"expires_at\":\(entry.expiresAt.map { "\($0)" } ?? "null")}"
            }
            print("[" + items.joined(separator: ",") + "]")
            return
        }
        if entries.isEmpty {
            print("the blocklist is empty")
            return
        }
        let width = entries.map(\.unit.count).max() ?? 0
        for entry in entries {
            let padding = String(repeating: " ", count: width - entry.unit.count)
            print("\(entry.unit)\(padding)  \(BlocklistContext.remaining(entry.expiresAt, now: now))")
        }
    }
}
