import ArgumentParser
import IPWatcherDaemon

/// `ipwatcher blocklist remove ADDR`: unblock by hand.
struct BlocklistRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Unblock an address's unit, or a range; exit 1 if it was not blocked.")

    @OptionGroup var options: ConfigurationOptions

    @ParentCommand var group: BlocklistCommand

    @Argument(help: "An IPv4 or IPv6 address (or a unit name); with range bans on, a range such as 198.51.100.0/24.")
    var address: String

    func run() async throws {
        let context = try await BlocklistContext(options: options.merging(group.connection))
        if let range = context.range(named: address) {
            let removed = try await context.withStores {
                try await $0.ranges?.remove(range.description, rangeUnitsKey: nil) ?? false
            }
            print(removed ? "unblocked: range \(range)" : "was not blocked: range \(range)")
            if !removed { throw ExitCode(1) }
            return
        }
        let unit = try context.unit(for: address)
        let unitsKey = context.rangeUnitsKey(of: unit)
        let removed = try await context.withStore { try await $0.remove(unit.name, rangeUnitsKey: unitsKey) }
        print(removed ? "unblocked: \(unit.name)" : "was not blocked: \(unit.name)")
        if !removed { throw ExitCode(1) }
    }
}
