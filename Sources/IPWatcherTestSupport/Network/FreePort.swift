/// A loopback TCP port that was free when asked.
///
/// The kernel picks it for a socket bound to port 0, which is closed again at once. Someone may take it in
/// between, so callers that hand it to a server retry on "Address already in use".
public enum FreePort {
    /// A port on 127.0.0.1 that nothing was bound to a moment ago.
    public static func pick() throws(LoopbackSocketError) -> Int {
        try LoopbackSocket(.refusing).port
    }
}
