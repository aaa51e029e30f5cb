import Foundation
import IPWatcherTestSupport
import LocalRedis
import Testing

/// `ipwatcher run` against a Redis that refuses its credentials exits 78 at once instead of retrying forever.
@Suite("ipwatcher run: refused credentials", .needsRedisServer, .timeLimit(.minutes(10)), .measuresTime)
struct DaemonAuthenticationExitTests {
    static var passwordOptions: LocalRedisServerOptions {
        var options = LocalRedisServerOptions()
        options.password = "the-right-one"
        return options
    }

    @Test(
        "a refused password exits 78 quickly with the server's error code",
        arguments: [
            (credentials: ":wr0ng-Passw0rd@", code: "WRONGPASS"),
            (credentials: "", code: "NOAUTH"),
        ])
    func refusedCredentialsExit78(credentials: String, code: String) async throws {
        try await withRedisServer(Self.passwordOptions) { server in
            try await withScratchDirectory { scratch in
                let config = try scratch.write("log:\n  level: info\n", to: "ipwatcher.yaml")
                let url = server.url.replacingOccurrences(of: "redis://", with: "redis://\(credentials)")
                let clock = ContinuousClock()
                let started = clock.now
                let (outcome, _, stderr) = try await runIPWatcher(
                    ["run", "--config", config, "--redis-url", url], in: scratch, within: .seconds(10))
                let took = started.duration(to: clock.now)
                #expect(outcome.status == 78, "\(outcome); stderr: \(stderr)")
                #expect(took < .seconds(5), "took \(took)")
                #expect(stderr.contains { $0.contains(code) }, "\(stderr)")
                #expect(!stderr.joined().contains("wr0ng-Passw0rd"), "the password was logged: \(stderr)")
            }
        }
    }
}
