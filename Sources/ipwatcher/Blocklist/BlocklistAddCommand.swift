import ArgumentParser
import IPWatcherDaemon

/// `ipwatcher blocklist add ADDR`: block by hand.
struct BlocklistAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Block an address's unit (replacing any ban time it had).")

    @OptionGroup var options: ConfigurationOptions

    @Argument(help: "An IPv4 or IPv6 address (or a unit name such as 198.51.100.0/24).")
    var address: String

    @Option(help: "How long the block lasts; 0 for good (default: blocklist.ban_seconds).")
    var banSeconds: Int?

    func validate() throws {
        if let banSeconds, banSeconds < 0 { throw ValidationError("--ban-seconds must be 0 or more") }
    }

    func run() async throws {
        let context = try await BlocklistContext(options: options)
        let unit = try context.unit(for: address).name
        let seconds = banSeconds ?? context.settings.detection.banSeconds
        try await context.withStore { try await $0.add(unit, banSeconds: seconds, now: WallClock().nowMilliseconds()) }
        print("blocked: \(unit) (\(seconds == 0 ? "permanent" : "\(seconds) s"))")
    }
}
