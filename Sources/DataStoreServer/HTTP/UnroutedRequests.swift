import DataStore
import HTTPTypes
import Hummingbird

/// Answers requests that no route takes with a status that says why and an AppSync-shaped JSON
/// body (Hummingbird's answer is a 404 with an empty body, for a wrong method too):
///
/// - a path the server serves, with another method: 405 and `Allow`;
/// - the real-time path without a WebSocket upgrade: 426 and `Upgrade: websocket`;
/// - any other path: 404.
struct UnroutedRequests<Context: RequestContext>: RouterMiddleware {
    /// The methods of each path the server serves.
    let methods: [String: [HTTPRequest.Method]]
    /// Paths that serve WebSocket upgrades only.
    let upgradeOnly: Set<String>

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return Self.answer(request.method, path: request.uri.path, methods: methods, upgradeOnly: upgradeOnly)
        }
    }

    static func answer(
        _ method: HTTPRequest.Method,
        path: String,
        methods: [String: [HTTPRequest.Method]],
        upgradeOnly: Set<String>
    ) -> Response {
        var trimmed = path
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        if upgradeOnly.contains(trimmed) {
            var response = ServerApplication.json(
                .upgradeRequired,
                GraphQLAPI.failure(
                    .badRequest("\(trimmed) serves the real-time protocol: open a WebSocket (graphql-ws) to it.")
                )
            )
            response.headers[.upgrade] = "websocket"
            return response
        }
        if let allowed = methods[trimmed] {
            let names = allowed.map(\.rawValue).joined(separator: ", ")
            var response = ServerApplication.json(
                .methodNotAllowed,
                GraphQLAPI.failure(.badRequest("\(trimmed) takes \(names), not \(method.rawValue)."))
            )
            response.headers[.allow] = names
            return response
        }
        let known = methods.keys.sorted().joined(separator: ", ")
        return ServerApplication.json(
            .notFound,
            GraphQLAPI.failure(
                .badRequest(
                    "Nothing is served at \(String(trimmed.prefix(200))); this server's paths are \(known) "
                        + "(and WebSocket upgrades of /graphql and /graphql/realtime)."
                )
            )
        )
    }
}
