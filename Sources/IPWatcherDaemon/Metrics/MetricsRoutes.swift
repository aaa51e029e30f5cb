import NIOHTTP1

/// What the metrics server answers to a request: the two paths, backed by the closures the worker supplies.
struct MetricsRoutes: Sendable {
    /// The `/metrics` body.
    let metricsText: @Sendable () -> String
    /// Nil when healthy, else the one-line reason for a 503 from `/healthz`.
    let healthProblem: @Sendable () -> String?

    /// Routes one request: the path decides 404, the method 405, then the endpoint answers.
    func respond(to request: HTTPRequestHead) -> MetricsServer.Response {
        typealias Response = MetricsServer.Response
        let path = request.uri.prefix { $0 != "?" && $0 != "#" }
        guard path == "/metrics" || path == "/healthz" else {
            return Response(status: .notFound, body: "not found; try /metrics or /healthz\n")
        }
        guard request.method == .GET || request.method == .HEAD else {
            return Response(status: .methodNotAllowed, body: "method not allowed\n", allow: "GET, HEAD")
        }
        if path == "/metrics" {
            return Response(status: .ok, contentType: MetricsServer.prometheusContentType, body: metricsText())
        }
        if let problem = healthProblem() {
            return Response(status: .serviceUnavailable, body: problem + "\n")
        }
        return Response(status: .ok, body: "ok\n")
    }
}
