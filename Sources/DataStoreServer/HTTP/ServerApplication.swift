import DataStore
import HTTPTypes
public import Hummingbird
import NIOCore

/// Settings of the HTTP server.
public struct ServerOptions: Sendable {
    /// The address to listen on; loopback by default.
    public var host: String = "127.0.0.1"
    /// The port; 0 picks a free one (see ``ServerApplication/makeApplication(onRunning:)``).
    public var port: Int = 4000
    /// The API keys a request may present in `x-api-key`. Empty: every request is refused.
    public var apiKeys: Set<String> = []
    /// The largest request body accepted, in bytes.
    public var maximumBodySize: Int = 1 << 20

    public init() {}
}

/// The server's HTTP face (PROTOCOL §2): `POST /graphql` executes GraphQL requests authenticated
/// by an API key, `GET /graphql/schema` returns the generated schema.
public struct ServerApplication: Sendable {
    /// The API requests execute against.
    public let api: GraphQLAPI
    /// The listening address, keys and limits.
    public let options: ServerOptions

    public init(api: GraphQLAPI, options: ServerOptions) {
        self.api = api
        self.options = options
    }

    /// The router with every route of the server.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        let api = self.api
        let options = self.options
        router.post("graphql") { request, _ -> Response in
            if let refusal = Self.refusal(request, options) { return refusal }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: options.maximumBodySize)
            } catch is NIOTooManyBytesError {
                return Self.json(
                    .contentTooLarge,
                    GraphQLAPI.failure(
                        .badRequest(
                            "The request body is larger than this server's limit of \(options.maximumBodySize) bytes."
                        )
                    )
                )
            }
            let parsed: FieldValue
            do {
                parsed = try FieldValue(jsonText: String(buffer: body))
            } catch {
                return Self.json(.badRequest, GraphQLAPI.failure(.badRequest("The body is not JSON: \(error).")))
            }
            let (status, response) = await api.execute(parsed)
            return Self.json(HTTPResponse.Status(code: status), response)
        }
        router.get("graphql/schema") { request, _ -> Response in
            if let refusal = Self.refusal(request, options) { return refusal }
            return Response(
                status: .ok,
                headers: [.contentType: "application/graphql; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: api.engine.api.sdl))
            )
        }
        return router
    }

    /// The application, ready to run as a service; `onRunning` learns the bound port.
    public func makeApplication(
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    )
        -> some ApplicationProtocol
    {
        Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "datastore-server"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) }
        )
    }

    /// A 401 response unless the request carries one of the API keys.
    static func refusal(_ request: Request, _ options: ServerOptions) -> Response? {
        if let key = request.headers[HTTPField.Name("x-api-key")!], options.apiKeys.contains(key) { return nil }
        return json(
            .unauthorized,
            .object([
                "errors": .list([
                    .object([
                        "errorType": "UnauthorizedException",
                        "message": "You are not authorized to make this call.",
                    ])
                ])
            ])
        )
    }

    static func json(_ status: HTTPResponse.Status, _ body: FieldValue) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body.jsonText))
        )
    }
}
