import RedisClient

extension IPWatcherConfiguration {
    /// Things that work but are probably not meant, one line each, for the log at startup and `check-config`.
    ///
    /// - A config file (`filePath`) readable by group or others while its `redis.url` holds a password; the mode
    ///   is read with `stat`, and the file is read again to see whether the password is in it rather than in an
    ///   environment variable or override.
    /// - A `redis.password_file` readable by group or others.
    /// - TLS certificate verification turned off, or a password sent without TLS to a host that is not loopback.
    /// - Dry-run mode, in which nothing is ever blocked.
    /// - A metrics endpoint on an address other hosts can reach, since it has no authentication.
    ///
    /// No warning contains a password.
    public func warnings(filePath: String?) -> [String] {
        var warnings: [String] = []
        if let filePath, let mode = ConfigurationFileSystem.permissions(filePath), mode & 0o044 != 0,
            Self.fileHoldsURLPassword(filePath)
        {
            warnings.append(
                "config file \(filePath) is readable by group or others (mode \(Self.octal(mode))) and its redis.url "
                    + "holds a password; chmod 600 it, or move the password to redis.password_file or "
                    + Self.passwordEnvironmentVariable)
        }
        if let passwordFile = redis.passwordFile, redis.password?.source != .environment,
            let mode = ConfigurationFileSystem.permissions(passwordFile), mode & 0o044 != 0
        {
            warnings.append(
                "redis.password_file \(passwordFile) is readable by group or others (mode \(Self.octal(mode))); "
                    + "chmod 600 it")
        }
        if let endpoint = try? endpoint {
            if endpoint.tls?.verification == RedisTLSOptions.Verification.none {
                warnings.append(
                    "Redis TLS certificate verification is off (verify none): the server is not authenticated")
            }
            if endpoint.password != nil, endpoint.tls == nil, case .tcp(let host, _) = endpoint.address,
                !Self.isLoopback(host)
            {
                warnings.append("the Redis password is sent unencrypted to \(host); use a rediss:// URL")
            }
        }
        if detection.dryRun {
            warnings.append("detection.dry_run is on: addresses over the threshold are logged but not blocked")
        }
        if let listen = metrics.listen, !listen.isLoopback {
            warnings.append(
                "metrics.listen \(listen) is not a loopback address: /metrics and /healthz answer anyone who can "
                    + "reach the port, without authentication; limit who can with a firewall")
        }
        return warnings
    }

    /// Whether the YAML file at `path` sets a `redis.url` that contains a password.
    private static func fileHoldsURLPassword(_ path: String) -> Bool {
        guard case .contents(let bytes) = ConfigurationFileSystem.read(path),
            let text = String(validating: bytes, as: UTF8.self),
            let check = try? ConfigurationFileCheck(text: text, path: path), let url = check.values["redis.url"],
            let endpoint = try? RedisEndpoint(url: url)
        else { return false }
        return endpoint.password != nil
    }

    /// Whether `host` names this machine, where an unencrypted password does not cross a network.
    private static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// File permission bits as `chmod` writes them: `644`.
    private static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }
}
