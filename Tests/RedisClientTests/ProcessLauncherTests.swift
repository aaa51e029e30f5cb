import Foundation
import IPWatcherTestSupport
import LocalRedis
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ProcessLauncher.ending(of:)` reads a child's end from the kernel, whether or not Foundation has noticed it yet.
@Suite("Process launcher", .measuresTime)
struct ProcessLauncherTests {
    private func launch(_ executable: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try ProcessLauncher.run(process)
        return process
    }

    @Test("a running child has no ending; after SIGKILL its ending names the signal")
    func runningThenKilled() throws {
        let process = try launch("/bin/sleep", ["30"])
        #expect(ProcessLauncher.ending(of: process) == nil)
        kill(process.processIdentifier, SIGKILL)
        #expect(ProcessLauncher.waitForEnding(of: process) == .init(status: SIGKILL, exited: false))
    }

    @Test("an exit status is reported as an exit, before and after Foundation reaps the child")
    func exitStatus() throws {
        let process = try launch("/bin/sh", ["-c", "exit 3"])
        #expect(ProcessLauncher.waitForEnding(of: process) == .init(status: 3, exited: true))
        process.waitUntilExit()
        #expect(ProcessLauncher.ending(of: process) == .init(status: 3, exited: true))
    }

    @Test("twenty short commands launched from four threads beside long-lived ones all end promptly")
    func concurrentLaunches() async throws {
        let sleepers = try (0..<4).map { _ in try launch("/bin/sleep", ["30"]) }
        defer { for sleeper in sleepers { kill(sleeper.processIdentifier, SIGKILL) } }
        try await withThrowingTaskGroup(of: Duration.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var slowest = Duration.zero
                    for _ in 0..<5 {
                        let started = ContinuousClock.now
                        let process = try launch("/bin/true", [])
                        #expect(ProcessLauncher.waitForEnding(of: process) == .init(status: 0, exited: true))
                        slowest = max(slowest, ContinuousClock.now - started)
                    }
                    return slowest
                }
            }
            for try await slowest in group {
                // `true` takes milliseconds; seconds would mean an exit noticed only when a sleeper ends.
                #expect(slowest < .seconds(5))
            }
        }
    }
}
