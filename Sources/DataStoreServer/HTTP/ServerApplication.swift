import DataStore
import DataStoreAppSync
import Foundation
import HTTPTypes
public import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
public import Logging
import NIOCore

/// Settings of the HTTP server.
public struct ServerOptions: Sendable {
    /// The address to listen on; loopback by default.
    public var host: String = "127.0.0.1"
    /// The port; 0 picks a free one (see ``ServerApplication/makeApplication(onRunning:)``).
    public var port: Int = 4000
    /// The API keys a request may present in `x-api-key`, each until its expiry. With no keys
    /// and no token issuers every request is refused.
    public var apiKeys: [APIKey] = []
    /// The issuers whose JSON Web Tokens a request may present in `Authorization` (Cognito user
    /// pools, OIDC providers, a service with a shared secret).
    public var tokenIssuers: [TokenIssuer] = []
    /// The largest request body accepted, in bytes.
    public var maximumBodySize: Int = 1 << 20
    /// The real-time endpoint's timers and limits.
    public var realtime = RealtimeOptions()
    /// How long a new connection may take to send its first request's head before it is answered
    /// with 408 and closed (slow or silent clients hold no connection for long).
    public var headerTimeout: Duration = .seconds(30)
    /// How long one request may run, reading its body included, before it is cancelled and
    /// answered with 504 and an `ExecutionTimeout` error, or 408 when its body has not arrived
    /// (AppSync's limit: 30 seconds); kept to within a second of ``ServerConfiguration/clock``. Nil lets requests run
    /// as long as they take.
    public var requestTimeout: Duration? = .seconds(30)
    /// How long an HTTP connection may stay open between requests; nil keeps it open until the
    /// client closes it.
    public var idleTimeout: Duration? = .seconds(75)
    /// How often expired tombstones and delta-log records are deleted.
    public var purgeInterval: Duration = .seconds(10 * 60)
    /// How often memory freed by requests is given back to the system (glibc keeps it in its
    /// arenas otherwise, so a burst of large requests would raise the server's memory for good);
    /// nil never.
    public var memoryTrimInterval: Duration? = .seconds(10)
    /// The defaults.
    public init() {}
}

/// The server's network face: `POST /graphql` executes GraphQL requests authenticated by an API
/// key (PROTOCOL §2), `GET /graphql/schema` returns the generated schema, and WebSocket upgrades
/// of `/graphql` and `/graphql/realtime` serve subscriptions (PROTOCOL §6).
public struct ServerApplication: Sendable {
    /// The API requests execute against.
    public let api: GraphQLAPI
    /// The listening address, keys and limits.
    public let options: ServerOptions
    /// Publishes committed writes to subscribers.
    let hub: RealtimeHub
    /// The requests running under ``ServerOptions/requestTimeout``.
    let budgets = TimeBudgets()
    /// Checks each request's credentials.
    let authenticator: AuthenticatorSource
    let logger: Logger

    /// An application serving `api` with `options`, logging to `logger`.
    public init(api: GraphQLAPI, options: ServerOptions, logger: Logger = Logger(label: "datastore-server")) {
        self.api = api
        self.options = options
        self.logger = logger
        authenticator = AuthenticatorSource(
            apiKeys: options.apiKeys,
            issuers: options.tokenIssuers,
            clock: api.dataSource.configuration.clock
        )
        hub = RealtimeHub(
            api: api,
            maximumPayloadSize: options.realtime.maximumPayloadSize,
            clock: api.dataSource.configuration.clock,
            logger: logger
        )
    }

    /// The router with every route of the server.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        let api = self.api
        let options = self.options
        let budgets = self.budgets
        let authenticator = self.authenticator
        router.add(
            middleware: UnroutedRequests(
                methods: ["/graphql": [.post], "/graphql/schema": [.get]],
                upgradeOnly: ["/graphql/realtime"]
            )
        )
        router.post("graphql") { request, _ -> Response in
            let caller: Caller
            switch await Self.caller(of: request, authenticator) {
            case .admitted(let known): caller = known
            case .refused(let refusal): return refusal
            }
            guard let budget = options.requestTimeout else {
                return await Self.answer(request, as: caller, api: api, options: options, bodyRead: nil)
            }
            // The budget covers reading the body too: a client that sends it slowly holds the
            // request no longer than one that asks for slow work.
            let bodyRead = Locked(false)
            switch await budgets.run(
                { await Self.answer(request, as: caller, api: api, options: options, bodyRead: bodyRead) },
                within: budget
            ) {
            case .finished(let response):
                return response
            case .exceeded where !bodyRead.withLock({ $0 }):
                return Self.json(
                    .requestTimeout,
                    GraphQLAPI.failure(.badRequest("The request's body did not arrive within \(budget)."))
                )
            case .exceeded:
                return Self.json(
                    .gatewayTimeout,
                    GraphQLAPI.failure(
                        AppSyncError(
                            .executionTimeout,
                            "The request ran longer than this server's budget of \(budget) and was cancelled; "
                                + "a mutation may or may not have been applied. Retry it: versions make a retry safe."
                        )
                    )
                )
            }
        }
        router.get("graphql/schema") { request, _ -> Response in
            if case .refused(let refusal) = await Self.caller(of: request, authenticator) { return refusal }
            return Response(
                status: .ok,
                headers: [.contentType: "application/graphql; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: api.dataSource.api.sdl))
            )
        }
        return router
    }

    /// Real-time connections open and subscriptions running, for monitoring and tests.
    public func realtimeStatistics() async -> RealtimeStatistics {
        await hub.statistics
    }

    /// Returns once no real-time connection is open (at once when none is).
    public func realtimeConnectionsClosed() async {
        await hub.waitUntilIdle()
    }

    /// The routes that upgrade to the real-time WebSocket protocol.
    func makeWebSocketRouter() -> Router<RealtimeRequestContext> {
        let router = Router(context: RealtimeRequestContext.self)
        let hub = self.hub
        let authenticator = self.authenticator
        let options = self.options
        let logger = self.logger
        for path in ["graphql", "graphql/realtime"] {
            router.ws(
                RouterPath(path),
                shouldUpgrade: { request, _ in
                    let offered = Self.subprotocols(request)
                    // Answer with graphql-ws when offered (clients and the simulator insist on it); a
                    // client that offers only other protocols does not speak this one.
                    if offered.isEmpty { return .upgrade([:]) }
                    guard offered.contains("graphql-ws") else { return .dontUpgrade }
                    return .upgrade([.secWebSocketProtocol: "graphql-ws"])
                },
                onUpgrade: { inbound, outbound, context in
                    let request = context.request
                    var headers: [String: String] = [:]
                    for field in request.headers { headers[field.name.canonicalName] = field.value }
                    let authorization = RealtimeHandshake.authorization(
                        query: request.uri.query,
                        subprotocols: Self.subprotocols(request),
                        headers: headers
                    )
                    let handshake = await authenticator.caller(
                        apiKey: RealtimeHandshake.apiKey(authorization),
                        authorization: RealtimeHandshake.token(authorization)
                    )
                    let connection = RealtimeConnection(
                        hub: hub,
                        options: options.realtime,
                        clock: api.dataSource.configuration.clock,
                        handshake: handshake,
                        authenticator: authenticator,
                        channel: context.requestContext.channel,
                        logger: logger
                    )
                    try await connection.serve(inbound: inbound, outbound: outbound)
                }
            )
        }
        return router
    }

    private static func subprotocols(_ request: Request) -> [String] {
        request.headers[values: .secWebSocketProtocol].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The application, ready to run as a service (`runService()` handles SIGTERM and SIGINT);
    /// `onRunning` learns the bound port.
    ///
    /// Besides the HTTP server it runs the subscription hub and the periodic purge of expired
    /// tombstones and delta records. On graceful shutdown the server stops accepting connections,
    /// finishes the requests in flight and closes WebSockets (close code 1000); the hub publishes
    /// until those requests are done, then stops.
    public func makeApplication(
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    )
        -> some ApplicationProtocol
    {
        let hub = self.hub
        let webSocketResponder = makeWebSocketRouter().buildResponder()
        // A service group shuts its services down in reverse order: the server (added last by
        // Hummingbird) drains first, then the purge and the hub.
        var application = Application(
            router: makeRouter(),
            server: HTTPServerBuilder { [options] responder in
                GuardedHTTPChannel(
                    inner: HTTP1WebSocketUpgradeChannel(
                        responder: responder,
                        webSocketResponder: webSocketResponder,
                        configuration: .init(
                            http1: .init(idleTimeout: options.idleTimeout.map(TimeAmount.init)),
                            ws: WebSocketServerConfiguration(
                                maxFrameSize: options.realtime.maximumMessageSize,
                                autoPing: options.realtime.pingInterval.map { .enabled(timePeriod: $0) } ?? .disabled,
                                // Text frames that are not UTF-8 close the connection with 1007 (RFC 6455 §8.1).
                                validateUTF8: true
                            )
                        )
                    ),
                    headerTimeout: options.headerTimeout
                )
            },
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "datastore-server"),
            services: [
                hub,
                ExpiryService(
                    dataSource: api.dataSource,
                    interval: options.purgeInterval,
                    clock: api.dataSource.configuration.clock,
                    logger: logger
                ),
            ]
                + (options.memoryTrimInterval.map {
                    [MemoryTrimService(interval: $0, clock: api.dataSource.configuration.clock)]
                } ?? [])
                + (options.requestTimeout == nil
                    ? []
                    : [
                        TimeBudgetWatch(
                            budgets: budgets,
                            interval: .seconds(1),
                            clock: api.dataSource.configuration.clock
                        )
                    ]),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        // The store's tables exist, key reads seek from the first request on, and writes
        // committed from here on are published, including those of the first request.
        let dataSource = api.dataSource
        application.beforeServerStarts {
            try await dataSource.store.setUp()
            try await dataSource.prepareIndexes()
            try await hub.start()
        }
        return application
    }

    /// Reads a GraphQL request's body and answers it; sets `bodyRead` once the body is in.
    static func answer(
        _ request: Request,
        as caller: Caller,
        api: GraphQLAPI,
        options: ServerOptions,
        bodyRead: Locked<Bool>?
    ) async -> Response {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: options.maximumBodySize)
        } catch is NIOTooManyBytesError {
            return json(
                .contentTooLarge,
                GraphQLAPI.failure(
                    .badRequest(
                        "The request body is larger than this server's limit of \(options.maximumBodySize) bytes."
                    )
                )
            )
        } catch {
            return json(.badRequest, GraphQLAPI.failure(.badRequest("The request body could not be read: \(error).")))
        }
        bodyRead?.withLock { $0 = true }
        let parsed: FieldValue
        do {
            parsed = try FieldValue(jsonText: String(buffer: body))
        } catch {
            return json(.badRequest, GraphQLAPI.failure(.badRequest("The body is not JSON: \(error).")))
        }
        let (status, answer) = await api.answer(parsed, as: caller)
        return json(HTTPResponse.Status(code: status), text: answer.jsonText)
    }

    /// The request's caller, or a 401 response with an `UnauthorizedException` saying why its
    /// credentials were refused.
    static func caller(of request: Request, _ authenticator: AuthenticatorSource) async -> Admission {
        let result = await authenticator.caller(
            apiKey: request.headers[HTTPField.Name("x-api-key")!],
            authorization: request.headers[.authorization]
        )
        switch result {
        case .success(let caller):
            return .admitted(caller)
        case .failure(let failure):
            return .refused(
                json(.unauthorized, .object(["errors": [AppSyncError(.unauthorized, failure.message).jsonValue]]))
            )
        }
    }

    /// A request's caller, or the answer that refuses it.
    enum Admission {
        case admitted(Caller)
        case refused(Response)
    }

    static func json(_ status: HTTPResponse.Status, _ body: FieldValue) -> Response {
        json(status, text: body.jsonText)
    }

    static func json(_ status: HTTPResponse.Status, text: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }
}

/// The request context of WebSocket upgrades: Hummingbird's, plus the connection's channel (so
/// the server can close the socket of a client that stopped reading).
struct RealtimeRequestContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}
