import RedisClient

extension IPWatcherConfiguration.Redis {
    /// The `redis.tls` section: settings merged into the options of a `rediss://` URL.
    ///
    /// A value set here replaces the URL's option of the same meaning (`ca`, `cert`, `key`, `sni`); nil keeps the
    /// URL's. Any of these set with a `redis://` or `unix://` URL is an error rather than a silent plain connection.
    public struct TLS: Sendable, Hashable {
        /// PEM file of the certificate authorities to trust; nil keeps the URL's `ca=` or the system store.
        public var caFile: String?
        /// PEM client certificate; must come with ``keyFile`` (here or in the URL).
        public var certFile: String?
        /// PEM private key for ``certFile``.
        public var keyFile: String?
        /// Name sent in SNI and checked against the certificate; nil keeps the URL's `sni=` or its host.
        public var serverName: String?
        /// How much of the server certificate is checked. `full` (the default) keeps whatever the URL's `verify=`
        /// says, since a default cannot tell "unset" from "set to full"; any other value replaces it.
        public var verify: RedisTLSOptions.Verification

        /// Creates the section; the defaults change nothing about the URL's TLS options.
        public init(
            caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, serverName: String? = nil,
            verify: RedisTLSOptions.Verification = .full
        ) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.serverName = serverName
            self.verify = verify
        }

        /// The dotted keys of this section that differ from their defaults, with their values, in file order.
        var settingsMade: [(key: String, value: String)] {
            var settings: [(key: String, value: String)] = []
            if let caFile { settings.append(("redis.tls.ca_file", caFile)) }
            if let certFile { settings.append(("redis.tls.cert_file", certFile)) }
            if let keyFile { settings.append(("redis.tls.key_file", keyFile)) }
            if let serverName { settings.append(("redis.tls.server_name", serverName)) }
            if verify != .full { settings.append(("redis.tls.verify", verify.rawValue)) }
            return settings
        }
    }
}
