import ArgumentParser
import Detection
import IPWatcherDaemon

/// `ipwatcher blocklist check ADDR`: exit status 0 when blocked, 1 when not, for shells and health checks.
struct BlocklistCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Exit 0 if the address's unit is blocked, 1 if not (2 on errors).")

    @OptionGroup var options: ConfigurationOptions

    @ParentCommand var group: BlocklistCommand

    @Argument(help: "An IPv4 or IPv6 address (or a unit name such as 2001:db8:1:2::/64).")
    var address: String

    @Flag(name: .shortAndLong, help: "Print nothing; only the exit status tells.")
    var quiet = false

    func run() async throws {
        let context = try await BlocklistContext(options: options.merging(group.connection))
        let unit = try context.unit(for: address).name
        let entry = try await context.withStore { try await $0.lookupUnit(unit) }
        if let entry {
            if !quiet {
                let left = BlocklistContext.remaining(entry.expiresAt, now: WallClock().nowMilliseconds())
                print("blocked: \(unit) (\(left))")
            }
            return
        }
        if !quiet { print("not blocked: \(unit)") }
        throw ExitCode(1)
    }
}
