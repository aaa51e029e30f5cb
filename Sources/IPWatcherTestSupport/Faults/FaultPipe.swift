import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One direction of one proxied connection: takes the bytes read on one channel and writes them to the other,
/// as late as the proxy's toxics say.
///
/// Lives on the connection's event loop (both channels of a connection share it), so it needs no lock. Every
/// chunk gets a delivery time of at least the previous chunk's, so the bytes of a direction keep their order
/// whatever the jitter; a partition holds the queue (bytes and a pending close alike) until it heals.
final class FaultPipe {
    /// Which way the bytes go.
    enum Direction: Sendable { case upstream, downstream }

    private enum Item {
        case bytes(ByteBuffer)
        case close
    }

    let direction: Direction
    private let proxy: FaultProxy
    private let eventLoop: any EventLoop
    /// Where the bytes go; set once both channels exist.
    var target: (any Channel)?
    /// The channel the bytes come from, which a reset or cut closes too.
    var source: (any Channel)?
    private var queue: [(due: NIODeadline, item: Item)] = []
    private var head = 0
    private var lastDue = NIODeadline.uptimeNanoseconds(0)
    private var wakeUp: Scheduled<Void>?
    private var wakeUpAt: NIODeadline?
    private var finished = false
    private var countedGeneration = -1
    private var bytesSinceToxic = 0

    init(direction: Direction, proxy: FaultProxy, eventLoop: any EventLoop) {
        self.direction = direction
        self.proxy = proxy
        self.eventLoop = eventLoop
    }

    /// Queues `bytes` for delivery after the latency and bandwidth toxics.
    func enqueue(_ bytes: ByteBuffer) {
        guard !finished else { return }
        let toxics = proxy.toxics
        var bytes = bytes
        // Under a bandwidth cap, slices of at most 1/50 s each, so a big reply trickles instead of arriving whole.
        let slice = toxics.bytesPerSecond.map { max(64, $0 / 50) } ?? Int.max
        while bytes.readableBytes > 0 {
            let piece = bytes.readSlice(length: min(slice, bytes.readableBytes))!
            var due = NIODeadline.now() + Self.delay(toxics)
            if let rate = toxics.bytesPerSecond, rate > 0 {
                due = max(due, lastDue) + .nanoseconds(Int64(piece.readableBytes) * 1_000_000_000 / Int64(rate))
            }
            due = max(due, lastDue)
            lastDue = due
            queue.append((due, .bytes(piece)))
        }
        pump()
    }

    /// Queues the close of the target after every byte before it.
    func enqueueClose() {
        guard !finished else { return }
        let due = max(NIODeadline.now() + Self.delay(proxy.toxics), lastDue)
        lastDue = due
        queue.append((due, .close))
        pump()
    }

    /// Delivers every item that is due, unless partitioned, and arranges to be woken for the next one.
    func pump() {
        guard !finished else { return }
        let toxics = proxy.toxics
        guard !toxics.partitioned else { return }
        let now = NIODeadline.now()
        var wrote = false
        while head < queue.count, queue[head].due <= now, !finished {
            let item = queue[head].item
            head += 1
            switch item {
            case .bytes(let bytes): wrote = deliver(bytes, toxics: toxics) || wrote
            case .close:
                target?.flush()
                target?.close(promise: nil)
                finished = true
            }
        }
        if wrote { target?.flush() }
        if head > 64, head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        guard !finished, head < queue.count else { return }
        let next = queue[head].due
        if let at = wakeUpAt, at <= next { return }
        wakeUp?.cancel()
        wakeUpAt = next
        wakeUp = eventLoop.assumeIsolated().scheduleTask(deadline: next) { [self] in
            wakeUpAt = nil
            wakeUp = nil
            pump()
        }
    }

    /// Writes `bytes` to the target, applying the reset and cut toxics to downstream bytes; returns whether it wrote.
    private func deliver(_ bytes: ByteBuffer, toxics: FaultToxics) -> Bool {
        guard let target else { return false }
        var bytes = bytes
        if direction == .downstream,
            let limit = toxics.resetAfterDownstreamBytes ?? toxics.cutAfterDownstreamBytes
        {
            if countedGeneration != toxics.generation {
                countedGeneration = toxics.generation
                bytesSinceToxic = 0
            }
            let allowed = limit - bytesSinceToxic
            if bytes.readableBytes >= allowed {
                let allowedBytes = bytes.readSlice(length: max(0, allowed))!
                bytesSinceToxic = limit
                if allowedBytes.readableBytes > 0 {
                    target.write(allowedBytes, promise: nil)
                    proxy.count(downstream: allowedBytes.readableBytes)
                }
                target.flush()
                finished = true
                if toxics.resetAfterDownstreamBytes != nil {
                    proxy.countReset()
                    Self.reset(target)
                } else {
                    proxy.countCut()
                    target.close(promise: nil)
                }
                source?.close(promise: nil)
                return false
            }
            bytesSinceToxic += bytes.readableBytes
        }
        target.write(bytes, promise: nil)
        switch direction {
        case .upstream: proxy.count(upstream: bytes.readableBytes)
        case .downstream: proxy.count(downstream: bytes.readableBytes)
        }
        return true
    }

    /// Stops delivering: the other direction's channel went away.
    func stop() {
        finished = true
        wakeUp?.cancel()
        wakeUp = nil
        queue.removeAll()
        head = 0
    }

    /// Closes `channel` with SO_LINGER 0, so the kernel sends RST (and drops whatever it had not sent yet).
    private static func reset(_ channel: any Channel) {
        guard let provider = channel as? any SocketOptionProvider else {
            channel.close(promise: nil)
            return
        }
        provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    private static func delay(_ toxics: FaultToxics) -> TimeAmount {
        guard let (mean, jitter) = toxics.latency else { return .zero }
        let meanNanoseconds = mean.nanoseconds
        let jitterNanoseconds = jitter.nanoseconds
        let drawn = jitterNanoseconds > 0
            ? meanNanoseconds + Int64.random(in: -jitterNanoseconds...jitterNanoseconds) : meanNanoseconds
        return .nanoseconds(max(0, drawn))
    }
}

extension Duration {
    /// The duration in whole nanoseconds.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
