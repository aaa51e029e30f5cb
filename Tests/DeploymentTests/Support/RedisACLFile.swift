import Foundation

/// The `user ipwatcher …` line of `deploy/redis-acl.conf`, as ACL SETUSER arguments.
enum RedisACLFile {
    /// The placeholder password the shipped file carries.
    static let placeholder = ">CHANGE_ME"

    /// The rules after `user ipwatcher`, with the placeholder password replaced by `password`.
    static func rules(password: String) throws -> [String] {
        let text = try String(contentsOf: RepositoryLayout.redisACL, encoding: .utf8)
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("user ipwatcher ") }
        guard lines.count == 1 else {
            throw DeploymentTestError("deploy/redis-acl.conf should have exactly one `user ipwatcher` line, has \(lines.count)")
        }
        var words = lines[0].split(separator: " ").map(String.init)
        words.removeFirst(2)
        guard let index = words.firstIndex(of: placeholder) else {
            throw DeploymentTestError("the `user ipwatcher` line has no \(placeholder) password to replace")
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
