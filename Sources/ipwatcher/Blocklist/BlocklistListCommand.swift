import ArgumentParser
import Detection
import Foundation
import IPWatcherDaemon

/// `ipwatcher blocklist list`: every blocked unit with the time its ban has left.
struct BlocklistListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Blocked units with time left.")

    @OptionGroup var options: ConfigurationOptions

    @ParentCommand var group: BlocklistCommand

    @Flag(help: "Print JSON instead of lines.")
    var json = false

    func run() async throws {
        let context = try await BlocklistContext(options: options.merging(group.connection))
        let entries = try await context.withStore { try await $0.listUnits() }
        let now = WallClock().nowMilliseconds()
        if json {
            let items = entries.map { entry in
                var item = JSONObjectWriter(capacity: 64)
                item.add("unit", entry.unit)
                item.add("expires_at", entry.expiresAt)
                return item.json
            }
            print(JSONObjectWriter.array(items))
            return
        }
        if entries.isEmpty {
            print("the blocklist is empty")
            return
        }
        // A member added by hand may hold spaces, quotes or line breaks: such a name is shown quoted and escaped,
        // so each entry stays one line and its name cannot run into the next column.
        let names = entries.map { entry in
            entry.unit.allSatisfy { $0.isLetter || $0.isNumber || ".:/_-".contains($0) }
                ? entry.unit : "\"" + LogLineFormatter.escaped(entry.unit) + "\""
        }
        let width = names.map(\.count).max() ?? 0
        for (name, entry) in zip(names, entries) {
            let padding = String(repeating: " ", count: width - name.count)
            print("\(name)\(padding)  \(BlocklistContext.remaining(entry.expiresAt, now: now))")
        }
    }
}
