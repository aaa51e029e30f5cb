import IPWatcherDaemon

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Blanks Redis passwords out of the process's own argument strings, as redis-server does with its title.
///
/// `--redis-url redis://user:secret@host` would otherwise stay readable by every local user in `ps` and
/// `/proc/<pid>/cmdline` for as long as the worker runs. On Linux `CommandLine.unsafeArgv` points at the very
/// strings the kernel shows there, so overwriting their bytes hides the password from then on (it was visible
/// for the few milliseconds before, and stays in shell history: hence the warning).
enum CommandLinePasswordScrubber {
    /// What to tell the user when a password was blanked.
    static let warning =
        "a Redis password was given on the command line; it is now blanked from the process's command line, "
        + "but other local users could read it until then and shell history keeps it: put it in "
        + "IPWATCHER_REDIS_PASSWORD or redis.password_file instead"

    /// How many arguments held a password; the first use blanks them, once per process.
    ///
    /// Read `CommandLine.arguments` before this: the parser must see the real password.
    static let scrubbedArgumentCount: Int = scrub()

    private static func scrub() -> Int {
        let argv = CommandLine.unsafeArgv
        var scrubbed = 0
        for index in 1..<Int(CommandLine.argc) {
            guard let pointer = argv[index] else { continue }
            let length = strlen(pointer)
            let replacement = pointer.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
                CommandLinePasswordRedaction.redacted(Array(UnsafeBufferPointer(start: bytes, count: length)))
            }
            guard let replacement else { continue }
            // Same place, same length: the redacted text, then NULs up to the old terminator, which stays.
            pointer.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
                for offset in 0..<length {
                    bytes[offset] = offset < replacement.count ? replacement[offset] : 0
                }
            }
            scrubbed += 1
        }
        return scrubbed
    }
}
