import ArgumentParser
import Detection
import Foundation
import IPWatcherDaemon

/// `ipwatcher blocklist list`: every blocked unit with the time its ban has left, then with range bans on every
/// banned range.
struct BlocklistListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Blocked units with time left.")

    @OptionGroup var options: ConfigurationOptions

    @ParentCommand var group: BlocklistCommand

    @Flag(help: "Print JSON instead of lines.")
    var json = false

    func run() async throws {
        let context = try await BlocklistContext(options: options.merging(group.connection))
        let (units, ranges) = try await context.withStores { stores in
            (try await stores.units.listUnits(), try await stores.ranges?.listUnits() ?? [])
        }
        let entries = units + ranges
        let now = WallClock().nowMilliseconds()
        if json {
            let items = entries.enumerated().map { index, entry in
                var item = JSONObjectWriter(capacity: 64)
                item.add("unit", entry.unit)
                item.add("expires_at", entry.expiresAt)
                item.add("range", index >= units.count)
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
        let names = entries.enumerated().map { index, entry in
            let name =
                entry.unit.allSatisfy { $0.isLetter || $0.isNumber || ".:/_-".contains($0) }
                ? entry.unit : "\"" + LogLineFormatter.escaped(entry.unit) + "\""
            return index >= units.count ? "range " + name : name
        }
        let width = names.map(\.count).max() ?? 0
        for (name, entry) in zip(names, entries) {
            let padding = String(repeating: " ", count: width - name.count)
            print("\(name)\(padding)  \(BlocklistContext.remaining(entry.expiresAt, now: now))")
        }
    }
}
