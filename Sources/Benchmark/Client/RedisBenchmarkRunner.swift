import Foundation
import LocalRedis
import RedisClient

/// Runs Redis's own `redis-benchmark` against an endpoint and reads its requests-per-second figure.
struct RedisBenchmarkRunner {
    let endpoint: RedisEndpoint

    /// Requests per second for `test` (`incr`, or `set,get` averaged), or nil when redis-benchmark is not installed
    /// or the endpoint is reached through sentinels.
    func run(test: String, requests: Int, clients: Int, pipeline: Int) throws -> Double? {
        try run(workload: ["-t", test], requests: requests, clients: clients, pipeline: pipeline)
    }

    /// Requests per second for one command of our own, such as `["INCR", "ipwatcher:bench:incr"]`, so that
    /// a server given by URL sees only keys of the caller's choosing; nil when redis-benchmark is not installed.
    /// `keyspace` is redis-benchmark's `-r`: each `__rand_int__` of the command becomes a random number below it.
    func run(command: [String], requests: Int, clients: Int, pipeline: Int, keyspace: Int? = nil) throws -> Double? {
        try run(
            workload: (keyspace.map { ["-r", "\($0)"] } ?? []) + command, requests: requests, clients: clients,
            pipeline: pipeline)
    }

    /// Runs redis-benchmark with `workload` (`-t tests`, or a command, which must come last) after the options.
    private func run(workload: [String], requests: Int, clients: Int, pipeline: Int) throws -> Double? {
        guard let executable = LocalRedisServer.executablePath(named: "redis-benchmark") else { return nil }
        var arguments = ["-q", "--csv", "-n", "\(requests)", "-c", "\(clients)", "-P", "\(pipeline)"]
        switch endpoint.address {
        case .tcp(let host, let port): arguments += ["-h", host, "-p", "\(port)"]
        case .unix(let path): arguments += ["-s", path]
        // redis-benchmark cannot ask sentinels; the ceiling is left out as when the tool is missing.
        case .sentinel: return nil
        }
        if endpoint.tls != nil { arguments.append("--tls") }
        if endpoint.database != 0 { arguments += ["--dbnum", "\(endpoint.database)"] }
        if let user = endpoint.username { arguments += ["--user", user] }
        arguments += workload
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // The password goes through the environment, never the command line that `ps` shows.
        var environment = ProcessInfo.processInfo.environment
        if let password = endpoint.password { environment["REDISCLI_AUTH"] = password }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try ProcessLauncher.run(process)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError.redisBenchmarkFailed(status: process.terminationStatus)
        }
        // CSV lines look like: "INCR","1234567.00","0.123",...
        let rates = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line -> Double? in
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            guard fields.count >= 2, fields[0] != "test" else { return nil }
            return Double(fields[1])
        }
        guard !rates.isEmpty else { return nil }
        return rates.reduce(0, +) / Double(rates.count)
    }
}

/// Errors of the benchmark commands.
enum BenchError: Error, CustomStringConvertible {
    case redisBenchmarkFailed(status: Int32)

    var description: String {
        switch self {
        case .redisBenchmarkFailed(let status): return "redis-benchmark exited with status \(status)"
        }
    }
}
