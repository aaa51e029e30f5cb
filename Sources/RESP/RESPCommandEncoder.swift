import NIOCore

/// Encodes commands as RESP arrays of bulk strings into one buffer that is reused from batch to batch.
///
/// A pipeline is built by encoding several commands and handing over ``buffer`` with ``commandCount``; after
/// the write, ``reset()`` keeps the buffer's capacity, so a steady stream of batches allocates nothing for
/// encoding once the buffer has grown to the largest batch.
public struct RESPCommandEncoder: Sendable {
    /// The encoded commands, ready to write to a connection.
    public private(set) var buffer: ByteBuffer
    /// How many commands ``buffer`` holds, and so how many replies the server will send.
    public private(set) var commandCount: Int = 0

    /// Creates an encoder writing into `buffer`, which should be empty.
    public init(buffer: ByteBuffer = ByteBuffer()) {
        self.buffer = buffer
    }

    /// Appends one command, given as its name and arguments.
    public mutating func encode<each Argument: RESPArgument>(_ arguments: repeat each Argument) {
        var count = 0
        for argument in repeat each arguments { count += argument.respArgumentCount }
        buffer.writeRESPHeader(marker: UInt8(ascii: "*"), count: count)
        for argument in repeat each arguments { argument.encodeRESP(into: &buffer) }
        commandCount += 1
    }

    /// Appends one command of `argumentCount` arguments, name included, that `body` writes as bulk strings.
    ///
    /// For hot loops of one command per item: the generic ``encode(_:)`` looks up its arguments' types at run time
    /// on every call, which costs more than the bytes. `body` must write exactly `argumentCount` bulk strings.
    public mutating func encodeCommand(argumentCount: Int, _ body: (inout ByteBuffer) -> Void) {
        buffer.writeRESPHeader(marker: UInt8(ascii: "*"), count: argumentCount)
        body(&buffer)
        commandCount += 1
    }

    /// Appends a command encoded earlier.
    public mutating func append(_ command: RESPCommand) {
        buffer.writeImmutableBuffer(command.bytes)
        commandCount += 1
    }

    /// Empties the encoder, keeping its buffer's capacity.
    public mutating func reset() {
        buffer.clear()
        commandCount = 0
    }
}
