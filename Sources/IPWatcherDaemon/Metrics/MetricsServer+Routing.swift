import NIOCore
import NIOHTTP1

extension MetricsServer {
    /// A complete response: status, content type and body; HEAD requests get the headers only.
    struct Response {
        var status: HTTPResponseStatus
        var contentType = "text/plain; charset=utf-8"
        var body: String
        /// The methods a path takes, for the `Allow` header of a 405.
        var allow: String?

        /// The head, body and end to write, honouring HEAD and the request's keep-alive wish.
        func parts(for request: HTTPRequestHead) -> [HTTPServerResponsePart] {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            // The length of the GET body even for HEAD, as RFC 9110 allows, so HEAD tells a client what GET would.
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            headers.add(name: "Cache-Control", value: "no-store")
            if let allow { headers.add(name: "Allow", value: allow) }
            headers.add(name: "Connection", value: request.isKeepAlive ? "keep-alive" : "close")
            var parts: [HTTPServerResponsePart] = [
                .head(HTTPResponseHead(version: request.version, status: status, headers: headers))
            ]
            if request.method != .HEAD {
                parts.append(.body(.byteBuffer(ByteBuffer(string: body))))
            }
            parts.append(.end(nil))
            return parts
        }
    }

    /// The Prometheus text exposition format's content type.
    static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"
}
