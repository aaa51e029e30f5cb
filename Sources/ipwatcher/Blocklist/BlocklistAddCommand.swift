import ArgumentParser
import Detection
import IPWatcherDaemon

/// `ipwatcher blocklist add ADDR`: block by hand.
struct BlocklistAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Block an address's unit, or a range (replacing any ban time it had).")

    @OptionGroup var options: ConfigurationOptions

    @ParentCommand var group: BlocklistCommand

    @Argument(
        help: "An IPv4 or IPv6 address (or a unit name such as 2001:db8:1:2::/64); with range bans on, a range such as 198.51.100.0/24.")
    var address: String

    @Option(
        help: ArgumentHelp(
            "Seconds the block lasts, at most \(BanExpiry.maximumSeconds) (ten years); 0 for good "
                + "(default: blocklist.ban_seconds)."))
    var banSeconds: Int?

    func validate() throws {
        if let banSeconds, !(0...BanExpiry.maximumSeconds).contains(banSeconds) {
            throw ValidationError("--ban-seconds must be from 0 to \(BanExpiry.maximumSeconds) (ten years)")
        }
    }

    func run() async throws {
        let context = try await BlocklistContext(options: options.merging(group.connection))
        let seconds = banSeconds ?? context.settings.detection.banSeconds
        let length = seconds == 0 ? "permanent" : "\(seconds) s"
        if let range = context.range(named: address) {
            try await context.withStores {
                try await $0.ranges?.add(range.description, banSeconds: seconds, now: WallClock().nowMilliseconds())
            }
            print("blocked: range \(range) (\(length))")
            return
        }
        let unit = try context.unit(for: address).name
        try await context.withStore { try await $0.add(unit, banSeconds: seconds, now: WallClock().nowMilliseconds()) }
        print("blocked: \(unit) (\(length))")
    }
}
