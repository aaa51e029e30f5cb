extension LocalRedisServer {
    /// Contents of `redis.conf` for one launch.
    ///
    /// Everything goes into the file rather than onto the command line so the password never shows up in the
    /// process list. Values are quoted because temporary paths and passwords may contain spaces or quotes.
    static func configuration(
        options: LocalRedisServerOptions,
        directory: String,
        endpoints: Endpoints
    ) -> String {
        var lines = [
            "# Private redis-server started by ipwatcher's LocalRedis; deleted when the server is stopped.",
            "bind 127.0.0.1",
            "protected-mode no",
            "port \(endpoints.port ?? 0)",
            "daemonize no",
            "supervised no",
            // Keeps the config path in the command line so leftover servers can be found with `pgrep -f ipwatcher-redis-`.
            "set-proc-title no",
            "dir \(quoted(directory))",
            "logfile \(quoted(logPath(in: directory)))",
            "loglevel notice",
            "always-show-logo no",
            // Lets tests use DEBUG SLEEP and friends over loopback; the server is private anyway.
            "enable-debug-command local",
            "save \"\"",
        ]
        if options.appendOnly {
            lines.append("appendonly yes")
            // Every acknowledged write is on disk, so a SIGKILL loses nothing and restart tests are deterministic.
            lines.append("appendfsync always")
        } else {
            lines.append("appendonly no")
        }
        if let socketPath = endpoints.socketPath {
            lines.append("unixsocket \(quoted(socketPath))")
            lines.append("unixsocketperm 700")
        }
        if let password = options.password {
            lines.append("requirepass \(quoted(password))")
        }
        if let masterPassword = options.masterPassword {
            lines.append("masterauth \(quoted(masterPassword))")
        }
        if let tls = options.tls, let tlsPort = endpoints.tlsPort {
            lines.append("tls-port \(tlsPort)")
            lines.append("tls-cert-file \(quoted(tls.certificateFile))")
            lines.append("tls-key-file \(quoted(tls.keyFile))")
            lines.append("tls-ca-cert-file \(quoted(tls.caFile))")
            lines.append("tls-auth-clients \(tls.requireClientCertificates ? "yes" : "no")")
        }
        // After requirepass on purpose: a rule for `default` then wins over the password.
        for rule in options.aclUsers {
            lines.append("user \(rule)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Path of the server log inside `directory`; stdout and stderr are appended to it too.
    static func logPath(in directory: String) -> String {
        directory + "/redis.log"
    }

    /// Path of the config file inside `directory`.
    static func configurationPath(in directory: String) -> String {
        directory + "/redis.conf"
    }

    /// A double-quoted config value that redis-server's argument splitter reads back byte for byte.
    static func quoted(_ value: String) -> String {
        var result = "\""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): result += "\\\\"
            case UInt8(ascii: "\""): result += "\\\""
            case 0x20...0x7E: result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16)
                result += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result + "\""
    }
}
