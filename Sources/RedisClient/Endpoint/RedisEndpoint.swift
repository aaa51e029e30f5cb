/// Where a Redis server is and how to log in to it, parsed from a URL.
///
/// Accepted forms: `redis://[user[:password]@]host[:port][/db]`, `rediss://…` for TLS (query options `ca`,
/// `cert`, `key`, `sni`, `verify=full|no-hostname|none`), `unix:///path/to.sock[?db=N]` (user and password
/// as in the other forms, or as `user=`/`password=` query options), and a master behind Redis Sentinel:
/// `redis+sentinel://[user[:password]@]host[:port],host[:port]/<master name>[?db=N]` (`rediss+sentinel://` with
/// TLS to the sentinels and the master; the sentinels' own login as `sentinel_user=`/`sentinel_password=`). IPv6
/// hosts go in brackets: `redis://[::1]:6379`. User and password are percent-decoded, so `%40` stands for `@`.
public struct RedisEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Where the server listens.
    public enum Address: Sendable, Hashable {
        case tcp(host: String, port: Int)
        case unix(path: String)
        /// Whichever server the sentinels name as this master when a connection is made.
        case sentinel(RedisSentinelMaster)
    }

    /// Where the server listens.
    public var address: Address
    /// ACL user name; nil means the `default` user.
    public var username: String?
    /// Password for `AUTH`/`HELLO … AUTH`; never printed.
    public var password: String?
    /// Logical database selected after connecting.
    public var database: Int
    /// TLS settings; nil for a plain connection.
    public var tls: RedisTLSOptions?

    /// Creates an endpoint from its parts.
    public init(
        address: Address, username: String? = nil, password: String? = nil, database: Int = 0,
        tls: RedisTLSOptions? = nil
    ) {
        self.address = address
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Encodes the characters that would end the user name inside a URL, so the description parses back.
    static func percentEncodedUserName(_ name: String) -> String {
        var bytes: [UInt8] = []
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "@"), UInt8(ascii: ":"), UInt8(ascii: "%"), UInt8(ascii: "/"), UInt8(ascii: "?"):
                bytes.append(UInt8(ascii: "%"))
                bytes.append(contentsOf: String(byte, radix: 16, uppercase: true).utf8)
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The URL with the password replaced by `***`, safe for logs and error messages.
    public var description: String {
        var credentials = ""
        if username != nil || password != nil {
            credentials = (username.map(Self.percentEncodedUserName) ?? "") + (password == nil ? "" : ":***") + "@"
        }
        switch address {
        case .tcp(let host, let port):
            let shownHost = host.contains(":") ? "[\(host)]" : host
            let scheme = tls == nil ? "redis" : "rediss"
            return "\(scheme)://\(credentials)\(shownHost):\(port)" + (database == 0 ? "" : "/\(database)")
        case .unix(let path):
            return "unix://\(credentials)\(path)" + (database == 0 ? "" : "?db=\(database)")
        case .sentinel(let master):
            let scheme = tls == nil ? "redis+sentinel" : "rediss+sentinel"
            var options: [String] = []
            if database != 0 { options.append("db=\(database)") }
            if let user = master.username { options.append("sentinel_user=\(Self.percentEncodedUserName(user))") }
            if master.password != nil { options.append("sentinel_password=***") }
            return "\(scheme)://\(credentials)\(master.sentinels.map { $0.description }.joined(separator: ","))/"
                + Self.percentEncodedUserName(master.name) + (options.isEmpty ? "" : "?" + options.joined(separator: "&"))
        }
    }
}
