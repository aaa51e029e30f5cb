import RESP

/// A pipeline of `LPUSH` commands whose reply never came: the error, and the pipeline itself, to send again.
struct UnansweredPipeline: Error {
    let encoder: RESPCommandEncoder
    let entries: Int
    let error: any Error
}
