extension IPWatcherConfiguration {
    /// The configuration as YAML in the layout of `config/ipwatcher.yaml`, for `ipwatcher check-config`.
    ///
    /// Every key is listed with its effective value. The URL's password is shown as `***`; a password from the
    /// environment or a password file is never shown, only where it comes from, in a comment. Apart from a
    /// redacted password, the output loads back into an equal configuration.
    public func renderedYAML() -> String {
        var lines = ["# ipwatcher configuration in effect; passwords are not shown."]
        switch passwordSource {
        case "environment": lines.append("# Redis password: from \(Self.passwordEnvironmentVariable).")
        case "password_file": lines.append("# Redis password: from redis.password_file.")
        case "url": lines.append("# Redis password: from redis.url.")
        default: lines.append("# Redis password: none.")
        }
        if queue.workerID == nil {
            // The default id depends on the host, so the file cannot show it; the operator may want to know it.
            lines.append(
                "# Worker id: \(WorkerID.defaultID(queueKey: queue.key, keyPrefix: detection.keyPrefix)) (the default).")
        }
        if usesCluster, let seeds = try? clusterSeeds {
            let addresses = seeds.map { seed -> String in
                if case .tcp(let host, let port) = seed.address { return "\(host):\(port)" }
                return "\(seed.address)"
            }
            lines.append("# Redis Cluster, seeds: \(addresses.joined(separator: ", ")).")
        }
        if let endpoint = try? endpoint, case .sentinel(let master) = endpoint.address {
            let sentinels = master.sentinels.map(\.description).joined(separator: ", ")
            lines.append("# Redis Sentinel: master \"\(master.name)\", asked of \(sentinels).")
        }
        if queue.shards > 1 {
            lines.append("# Queue shards: \(queue.key):{0} … \(queue.key):{\(queue.shards - 1)}.")
        }
        var openSections: [Substring] = []
        for spec in Self.schema {
            // With detection.rules in force the single rule's keys are unset (setting both is an error), and
            // rendering them would make the output fail to load.
            if !detection.rules.isEmpty, Self.singleRuleKeys.contains(spec.name) { continue }
            let parts = spec.name.split(separator: ".")
            let sections = Array(parts.dropLast())
            var shared = 0
            while shared < min(sections.count, openSections.count), sections[shared] == openSections[shared] {
                shared += 1
            }
            for depth in shared..<sections.count {
                lines.append(String(repeating: "  ", count: depth) + sections[depth] + ":")
            }
            openSections = sections
            let indentation = String(repeating: "  ", count: sections.count)
            lines.append(indentation + (parts.last ?? "") + ": " + renderedValue(forKey: spec.name))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The YAML text of one key's value.
    private func renderedValue(forKey key: String) -> String {
        switch key {
        case "redis.url": return YAMLScalar.render(Self.redactedURL(redis.url))
        case "redis.password_file": return YAMLScalar.render(redis.passwordFile ?? "")
        case "redis.client_name": return YAMLScalar.render(redis.clientName ?? "")
        case "redis.connect_timeout": return Self.renderedSeconds(redis.connectTimeout)
        case "redis.command_timeout": return Self.renderedSeconds(redis.commandTimeout)
        case "redis.max_bulk_bytes": return String(redis.maxBulkBytes)
        case "redis.cluster": return String(redis.cluster)
        case "redis.scripts": return redis.scripts.rawValue
        case "redis.tls.ca_file": return YAMLScalar.render(redis.tls.caFile ?? "")
        case "redis.tls.cert_file": return YAMLScalar.render(redis.tls.certFile ?? "")
        case "redis.tls.key_file": return YAMLScalar.render(redis.tls.keyFile ?? "")
        case "redis.tls.server_name": return YAMLScalar.render(redis.tls.serverName ?? "")
        case "redis.tls.verify": return YAMLScalar.render(redis.tls.verify.rawValue)
        case "queue.key": return YAMLScalar.render(queue.key)
        case "queue.pop": return queue.pop.rawValue
        case "queue.batch": return String(queue.batch)
        case "queue.block_timeout": return Self.renderedSeconds(queue.blockTimeout)
        case "queue.rejected_key": return YAMLScalar.render(queue.rejectedKey ?? "")
        case "queue.rejected_max": return String(queue.rejectedMax)
        case "queue.delivery": return queue.delivery.rawValue
        case "queue.worker_id": return YAMLScalar.render(queue.workerID ?? "")
        case "queue.shards": return String(queue.shards)
        case "queue.lease": return String(queue.lease)
        case "detection.mode": return detection.mode.rawValue
        case "detection.threshold": return String(detection.threshold)
        case "detection.window": return String(detection.window)
        case "detection.ipv4_prefix": return String(detection.ipv4Prefix)
        case "detection.ipv6_prefix": return String(detection.ipv6Prefix)
        case "detection.allowlist": return YAMLScalar.list(detection.allowlist)
        case "detection.dry_run": return String(detection.dryRun)
        case "detection.rules": return YAMLScalar.list(detection.rules.map(\.text))
        case "detection.near_limit": return ConfigurationValueReader.decimal(detection.nearLimit)
        case "detection.key_prefix": return YAMLScalar.render(detection.keyPrefix)
        case "detection.counters": return detection.counters.rawValue
        case "detection.buckets": return String(detection.buckets)
        case "blocklist.key": return YAMLScalar.render(blocklist.key)
        case "blocklist.ban_seconds": return String(blocklist.banSeconds)
        case "blocklist.events_channel": return YAMLScalar.render(blocklist.eventsChannel ?? "")
        case "blocklist.escalation.factor": return ConfigurationValueReader.decimal(blocklist.escalation.factor)
        case "blocklist.escalation.max_seconds": return String(blocklist.escalation.maxSeconds)
        case "blocklist.escalation.memory_seconds": return String(blocklist.escalation.memorySeconds)
        case "blocklist.escalation.jitter": return ConfigurationValueReader.decimal(blocklist.escalation.jitter)
        case "blocklist.ranges.ipv4_prefix": return String(blocklist.ranges.ipv4Prefix)
        case "blocklist.ranges.ipv6_prefix": return String(blocklist.ranges.ipv6Prefix)
        case "blocklist.ranges.min_units": return String(blocklist.ranges.minUnits)
        case "blocklist.ranges.key": return YAMLScalar.render(blocklist.rangesKey)
        case "log.level": return log.level.rawValue
        case "log.format": return log.format.rawValue
        case "metrics.listen": return YAMLScalar.quoted(metrics.listen?.description ?? "")
        case "metrics.max_connections": return String(metrics.maxConnections)
        default: return "\"\""  // Unreachable while the schema and this switch agree; a test checks they do.
        }
    }

    /// A duration as decimal seconds: `5`, `0.25`.
    static func renderedSeconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        guard attoseconds != 0 else { return String(seconds) }
        return String(Double(seconds) + Double(attoseconds) / 1e18)
    }
}
