extension ConfigurationOptions {
    /// These options with those the command group parsed (``ConnectionOptions``) in place of their own.
    ///
    /// swift-argument-parser gives an option that the group and the subcommand both declare to the group,
    /// wherever on the command line it stands, and a repeated option its last value: so
    /// `blocklist --redis-url A list --redis-url B` reaches Redis at B, as `--redis-url A --redis-url B` would.
    /// The subcommand's own value is the fallback should a parser version hand it there instead.
    func merging(_ group: ConnectionOptions) -> ConfigurationOptions {
        var merged = self
        merged.config = group.config ?? config
        merged.redisURL = group.redisURL ?? redisURL
        merged.blocklist = group.blocklist ?? blocklist
        return merged
    }
}
