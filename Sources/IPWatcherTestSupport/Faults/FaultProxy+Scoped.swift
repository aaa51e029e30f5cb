/// Starts a ``FaultProxy`` in front of 127.0.0.1:`upstreamPort`, runs `body` with it, and always stops it.
public func withFaultProxy<Result: Sendable>(
    upstreamPort: Int,
    _ body: (FaultProxy) async throws -> Result
) async throws -> Result {
    let proxy = try await FaultProxy.start(upstreamPort: upstreamPort)
    do {
        let result = try await body(proxy)
        await proxy.stop()
        return result
    } catch {
        await proxy.stop()
        throw error
    }
}
