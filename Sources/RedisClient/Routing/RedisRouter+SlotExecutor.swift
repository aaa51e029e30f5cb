import NIOCore
import RESP

extension RedisRouter {
    /// A ``RedisCommandExecutor`` that runs every command where `key` lives, for code written against that
    /// protocol whose commands all name keys of one hash slot (a set and its index tagged alike, say).
    ///
    /// On a single server this is the server's client; on a cluster every command and pipeline goes to the
    /// master of `key`'s slot, following redirections as ``RedisClusterClient`` does.
    public func executor(routingBy key: String) -> SlotExecutor {
        SlotExecutor(router: self, slot: RedisHashSlot(key: key))
    }

    /// Runs every command on the Redis that serves one hash slot; see ``RedisRouter/executor(routingBy:)``.
    public struct SlotExecutor: RedisCommandExecutor {
        /// Where the commands go.
        public let router: RedisRouter
        /// The slot every command is routed by; ignored by a single server.
        public let slot: RedisHashSlot

        /// Runs one command where ``slot`` lives; an error reply is thrown as ``RedisError/server(_:)``.
        public func send(_ command: RESPCommand, timeout: Duration?) async throws -> RESPToken {
            try await router.send(command, slot: slot, timeout: timeout)
        }

        /// Runs the encoder's commands where ``slot`` lives and returns their replies in order, error replies as
        /// tokens.
        ///
        /// On a cluster the commands are cut apart again (the cluster client resends a redirected command on its
        /// own) and go as one pipeline to the slot's master.
        public func pipeline(_ commands: RESPCommandEncoder, timeout: Duration?) async throws -> [RESPToken] {
            switch router.backend {
            case .server(let client):
                return try await client.pipeline(commands, timeout: timeout)
            case .cluster:
                let slot = self.slot
                return try await router.pipeline(
                    try Self.commands(in: commands).map { RedisRoutedCommand($0, slot: slot) }, timeout: timeout)
            }
        }

        /// The commands an encoder holds, each as the slice of the encoder's bytes that encodes it.
        static func commands(in encoder: RESPCommandEncoder) throws -> [RESPCommand] {
            var remaining = encoder.buffer
            var parser = RESPParser()
            var commands: [RESPCommand] = []
            commands.reserveCapacity(encoder.commandCount)
            while remaining.readableBytes > 0 {
                let token: RESPToken?
                do { token = try parser.next(from: &remaining) } catch { throw RedisError.protocolViolation(error) }
                // An encoder writes only whole commands, each an array of bulk strings.
                guard let token, token.array != nil else {
                    preconditionFailure("RESPCommandEncoder holds bytes that are not a whole command")
                }
                commands.append(RESPCommand(encoded: token.base))
            }
            return commands
        }
    }
}
