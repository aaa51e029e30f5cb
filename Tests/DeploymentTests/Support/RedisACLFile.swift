import Foundation

/// The `user ipwatcher …` line of `deploy/redis-acl.conf`, as ACL SETUSER arguments.
enum RedisACLFile {
    /// The placeholder password the shipped file carries.
    static let placeholder = ">CHANGE_ME"

    /// The rules after `user ipwatcher`, with the placeholder password replaced by `password`.
    static func rules(password: String) throws -> [String] {
        try rules(of: "ipwatcher", in: RepositoryLayout.redisACL, password: password)
    }

    /// The rules after `user <user>` in `file`, with its placeholder password (`>CHANGE_ME…`) replaced by
    /// `password`; a line commented out as an example (`# user …`) counts when `commented` is true.
    static func rules(of user: String, in file: URL, password: String, commented: Bool = false) throws -> [String] {
        let text = try String(contentsOf: file, encoding: .utf8)
        let prefix = (commented ? "# " : "") + "user \(user) "
        let lines = text.split(separator: "\n").filter { $0.hasPrefix(prefix) }
        guard lines.count == 1 else {
            throw DeploymentTestError("\(file.lastPathComponent) should have exactly one `\(prefix)` line, has \(lines.count)")
        }
        var words = lines[0].dropFirst(prefix.count).split(separator: " ").map(String.init)
        guard let index = words.firstIndex(where: { $0.hasPrefix(placeholder) }) else {
            throw DeploymentTestError("the `\(prefix)` line has no \(placeholder) password to replace")
        }
        words[index] = ">" + password
        return words
    }

    /// A password for a test user: letters and digits only, so it needs no escaping in a URL or on a command line.
    static func randomPassword() -> String {
        let characters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<24).map { _ in characters.randomElement()! })
    }
}
