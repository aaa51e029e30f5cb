import ArgumentParser
import IPWatcherDaemon

/// `ipwatcher blocklist remove ADDR`: unblock by hand.
struct BlocklistRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Unblock an address's unit; exit 1 if it was not blocked.")

    @OptionGroup var options: ConfigurationOptions

    @ParentCommand var group: BlocklistCommand

    @Argument(help: "An IPv4 or IPv6 address (or a unit name).")
    var address: String

    func run() async throws {
        let context = try await BlocklistContext(options: options.merging(group.connection))
        let unit = try context.unit(for: address).name
        let removed = try await context.withStore { try await $0.remove(unit) }
        print(removed ? "unblocked: \(unit)" : "was not blocked: \(unit)")
        if !removed { throw ExitCode(1) }
    }
}
