import ArgumentParser
import Detection
import IPWatcherDaemon

/// `ipwatcher blocklist check ADDR`: exit status 0 when blocked, 1 when not, for shells and health checks.
///
/// With range bans on, an address is also blocked when its range is banned, as the web tier checks it; a range
/// itself (`203.0.113.0/24`) may be checked too.
struct BlocklistCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Exit 0 if the address's unit (or its range) is blocked, 1 if not (2 on errors).")

    @OptionGroup var options: ConfigurationOptions

    @ParentCommand var group: BlocklistCommand

    @Argument(help: "An IPv4 or IPv6 address (or a unit name such as 2001:db8:1:2::/64, or a range).")
    var address: String

    @Flag(name: .shortAndLong, help: "Print nothing; only the exit status tells.")
    var quiet = false

    func run() async throws {
        let context = try await BlocklistContext(options: options.merging(group.connection))
        if let range = context.range(named: address) {
            let entry = try await context.withStores { try await $0.ranges?.lookupUnit(range.description) }
            try report(entry, name: "range \(range)")
            return
        }
        let unit = try context.unit(for: address)
        let range = context.settings.ranges.isOn ? context.settings.ranges.range(of: unit.network.address) : nil
        typealias Found = (unit: String, expiresAt: Int64?)
        let checksRange = range != nil && context.settings.ranges.range(of: unit) != nil
        let (entry, rangeEntry) = try await context.withStores { stores -> (Found?, Found?) in
            let entry: Found? = try await stores.units.lookupUnit(unit.name)
            guard entry == nil, checksRange, let range, let ranges = stores.ranges else { return (entry, nil) }
            let rangeEntry: Found? = try await ranges.lookupUnit(range.description)
            return (nil, rangeEntry)
        }
        if let rangeEntry {
            if !quiet {
                let left = BlocklistContext.remaining(rangeEntry.expiresAt, now: WallClock().nowMilliseconds())
                print("blocked: \(unit.name) (in range \(rangeEntry.unit), \(left))")
            }
            return
        }
        try report(entry, name: unit.name)
    }

    /// Prints whether `name` is blocked and exits 1 when it is not.
    private func report(_ entry: (unit: String, expiresAt: Int64?)?, name: String) throws {
        guard let entry else {
            if !quiet { print("not blocked: \(name)") }
            throw ExitCode(1)
        }
        if !quiet {
            print("blocked: \(name) (\(BlocklistContext.remaining(entry.expiresAt, now: WallClock().nowMilliseconds())))")
        }
    }
}
