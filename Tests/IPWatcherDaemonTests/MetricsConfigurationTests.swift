import Foundation
import IPWatcherDaemon
import Testing

/// `metrics.listen` and `metrics.max_connections`: their defaults, the forms it takes, the values it refuses, and how it reaches the worker.
@Suite("Metrics: the metrics.listen and metrics.max_connections settings")
struct MetricsConfigurationTests {
    @Test("the product default is 127.0.0.1:9464; workers built in code serve no metrics")
    func defaults() async throws {
        let loaded = try await loadConfiguration()
        #expect(loaded.metrics.listen?.description == "127.0.0.1:9464")
        #expect(loaded.workerSettings.metricsListen == MetricsListenAddress("127.0.0.1:9464"))
        #expect(loaded.metrics.listen?.isLoopback == true)
        #expect(WorkerSettings().metricsListen == nil)
    }

    @Test(
        "accepted forms, from the environment, the file and an override",
        arguments: [
            ("127.0.0.1:9464", "127.0.0.1", 9464), ("0.0.0.0:9100", "0.0.0.0", 9100), ("[::1]:9464", "::1", 9464),
            ("[::]:0", "::", 0), ("localhost:65535", "localhost", 65535), (" 127.0.0.1:9464 ", "127.0.0.1", 9464),
            ("metrics-host.internal:9464", "metrics-host.internal", 9464),
        ])
    func acceptedForms(text: String, host: String, port: Int) async throws {
        let fromEnvironment = try await loadConfiguration(environment: ["IPWATCHER_METRICS_LISTEN": text])
        #expect(fromEnvironment.metrics.listen?.host == host)
        #expect(fromEnvironment.metrics.listen?.port == port)
        let fromOverride = try await loadConfiguration(overrides: ["metrics.listen": text])
        #expect(fromOverride == fromEnvironment)
        try await withTemporaryDirectory { directory in
            let file = try writeFile("metrics:\n  listen: \"\(text)\"\n", to: directory + "/m.yaml")
            #expect(try await loadConfiguration(file: file) == fromEnvironment)
        }
    }

    @Test("an empty value turns metrics off, in the environment, the file and an override")
    func emptyDisables() async throws {
        #expect(try await loadConfiguration(environment: ["IPWATCHER_METRICS_LISTEN": ""]).metrics.listen == nil)
        #expect(try await loadConfiguration(overrides: ["metrics.listen": ""]).workerSettings.metricsListen == nil)
        try await withTemporaryDirectory { directory in
            let file = try writeFile("metrics:\n  listen: \"\"\n", to: directory + "/m.yaml")
            #expect(try await loadConfiguration(file: file).metrics.listen == nil)
        }
    }

    /// Refused values and what the one-line error says after the quoted value.
    static let invalid: [(value: String, problem: String)] = [
        ("9464", #"is not host:port or [IPv6]:port (e.g. 127.0.0.1:9464); "" turns metrics off"#),
        ("localhost", #"is not host:port or [IPv6]:port (e.g. 127.0.0.1:9464); "" turns metrics off"#),
        (":9464", #"is not host:port or [IPv6]:port (e.g. 127.0.0.1:9464); "" turns metrics off"#),
        ("10.1:9464", #"is not host:port or [IPv6]:port (e.g. 127.0.0.1:9464); "" turns metrics off"#),
        ("256.0.0.1:9464", #"is not host:port or [IPv6]:port (e.g. 127.0.0.1:9464); "" turns metrics off"#),
        ("host name:9464", #"is not host:port or [IPv6]:port (e.g. 127.0.0.1:9464); "" turns metrics off"#),
        ("http://127.0.0.1:9464", #"is not host:port or [IPv6]:port (e.g. 127.0.0.1:9464); "" turns metrics off"#),
        ("::1:9464", "needs its IPv6 address in brackets: [::1]:9464"),
        ("[127.0.0.1]:9464", "has no IPv6 address in its brackets"),
        ("[::1]9464", #"is not host:port or [IPv6]:port (e.g. 127.0.0.1:9464); "" turns metrics off"#),
        ("127.0.0.1:65536", "has no port from 0 to 65535 after its last colon"),
        ("127.0.0.1:-1", "has no port from 0 to 65535 after its last colon"),
        ("127.0.0.1:", "has no port from 0 to 65535 after its last colon"),
        ("127.0.0.1:http", "has no port from 0 to 65535 after its last colon"),
    ]

    @Test("an invalid value is a ConfigurationError naming metrics.listen and showing the value", arguments: invalid)
    func invalidValues(value: String, problem: String) async throws {
        for (environment, overrides) in [
            (["IPWATCHER_METRICS_LISTEN": value], [String: String]()), ([:], ["metrics.listen": value]),
        ] {
            let error = try #require(await loadingError(environment: environment, overrides: overrides), "\(value)")
            #expect(error.key == "metrics.listen")
            #expect(error.description == "metrics.listen: \"\(value)\" \(problem)")
        }
    }

    @Test("check-config shows the address, and the rendering loads back")
    func rendering() async throws {
        for text in ["[::1]:9100", ""] {
            let original = try await loadConfiguration(environment: ["IPWATCHER_METRICS_LISTEN": text])
            let rendered = original.renderedYAML()
            #expect(rendered.contains("\nmetrics:\n  listen: \"\(text)\"\n  max_connections: 64\nlog:\n"), "\(rendered)")
            try await withTemporaryDirectory { directory in
                let file = try writeFile(rendered, to: directory + "/r.yaml")
                #expect(try await loadConfiguration(file: file) == original)
            }
        }
    }

    @Test("metrics.max_connections defaults to 64, reaches the worker, and takes 1 to 4096")
    func maxConnections() async throws {
        #expect(try await loadConfiguration().metrics.maxConnections == 64)
        #expect(WorkerSettings().metricsLimits == .productDefault)
        let fromEnvironment = try await loadConfiguration(environment: ["IPWATCHER_METRICS_MAX_CONNECTIONS": "8"])
        #expect(fromEnvironment.workerSettings.metricsLimits.maxConnections == 8)
        try await withTemporaryDirectory { directory in
            let file = try writeFile("metrics:\n  max_connections: 4096\n", to: directory + "/m.yaml")
            #expect(try await loadConfiguration(file: file).workerSettings.metricsLimits.maxConnections == 4096)
        }
        for value in ["0", "4097", "-1", "many", ""] {
            let error = try #require(await loadingError(overrides: ["metrics.max_connections": value]), "\(value)")
            #expect(error.description == "metrics.max_connections: \"\(value)\" is not an integer from 1 to 4096")
        }
    }

    @Test("a listener other hosts can reach gets a warning; a loopback one does not")
    func exposureWarning() async throws {
        let exposed = try await loadConfiguration(environment: ["IPWATCHER_METRICS_LISTEN": "0.0.0.0:9464"])
        #expect(exposed.warnings(filePath: nil).contains { $0.hasPrefix("metrics.listen 0.0.0.0:9464 is not a loopback") })
        for text in ["127.0.0.1:9464", "[::1]:9464", ""] {
            let quiet = try await loadConfiguration(environment: ["IPWATCHER_METRICS_LISTEN": text])
            #expect(!quiet.warnings(filePath: nil).contains { $0.contains("metrics.listen") }, "\(text)")
        }
    }

    @Test("isLoopback tells loopback listeners from exposed ones")
    func loopback() throws {
        for text in ["127.0.0.1:1", "127.9.9.9:1", "[::1]:1", "localhost:1", "[::ffff:127.0.0.1]:1"] {
            #expect(try #require(MetricsListenAddress(text)).isLoopback, "\(text)")
        }
        for text in ["0.0.0.0:1", "[::]:1", "192.0.2.1:1", "metrics.internal:1"] {
            #expect(try !#require(MetricsListenAddress(text)).isLoopback, "\(text)")
        }
    }
}
