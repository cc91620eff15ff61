import DataStoreSchema
public import DataStoreServer
import Hummingbird
import Logging
import ServiceLifecycle

/// A `datastore-server` running in this process on a free loopback port, for tests — ours and
/// yours.
///
/// ```swift
/// try await withTestServer(schema: sdl) { server in
///     // point a client at server.endpoint with server.apiKey
/// }
/// ```
public struct TestServer: Sendable {
    /// `http://127.0.0.1:<port>/graphql`
    public let endpoint: String
    /// `ws://127.0.0.1:<port>/graphql/realtime`
    public let realtimeEndpoint: String
    /// The port the server listens on.
    public let port: Int
    /// The API key the server accepts.
    public let apiKey: String
    /// The server's data source, to arrange or inspect data without going through HTTP.
    public let dataSource: DataSource
    /// The server's application, for its real-time statistics.
    public let application: ServerApplication
}

/// Errors of ``withTestServer(schema:apiKey:configuration:options:store:_:)``.
public struct TestServerError: Error, CustomStringConvertible {
    /// Why the server could not start.
    public let description: String
}

/// Starts a server for `schema` (GraphQL SDL) on a free loopback port, runs `body` with it, and
/// stops it (also when `body` throws).
///
/// - Throws: the schema's errors, a ``TestServerError`` when the server cannot start, or what
///   `body` throws.
///
/// - Parameters:
///   - store: where the server keeps its items: a fresh in-memory SQLite database when nil (closed
///     when the server stops); a store you pass (a ``PostgresItemStore`` shared with another test
///     server, say) stays open.
///   - options: the server's limits, timers and clock (a ``ManualClock`` makes keep-alives and
///     deadlines run on the test's command) and its token issuers; its host and port are the
///     test server's, and `apiKey` is added to its API keys.
public func withTestServer<Result: Sendable>(
    schema: String,
    apiKey: String = "da2-test-key",
    configuration: ServerConfiguration = ServerConfiguration(),
    options: ServerOptions = ServerOptions(),
    store given: (any ItemStore)? = nil,
    _ body: @Sendable (TestServer) async throws -> Result
) async throws -> Result {
    let document = try SchemaParser.parse(schema)
    let store: any ItemStore
    let ownStore: SQLiteItemStore?
    if let given {
        (store, ownStore) = (given, nil)
    } else {
        let memory = try SQLiteItemStore(path: nil)
        (store, ownStore) = (memory, memory)
    }
    let dataSource = DataSource(document: document, store: store, configuration: configuration)
    var options = options
    options.host = "127.0.0.1"
    options.port = 0
    options.apiKeys = [APIKey(apiKey)] + options.apiKeys
    // One port, once: the newest value is all there is to keep.
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .bufferingNewest(1))
    var logger = Logger(label: "datastore-test-server")
    logger.logLevel = .warning
    let serverApplication = ServerApplication(
        api: try GraphQLAPI(dataSource: dataSource),
        options: options,
        logger: logger
    )
    let application = serverApplication.makeApplication {
        port in
        portContinuation.yield(port)
        portContinuation.finish()
    }
    defer { portContinuation.finish() }
    // Stopped the way SIGTERM stops the real server: gracefully, so requests in flight finish.
    let services = ServiceGroup(
        configuration: .init(services: [application], gracefulShutdownSignals: [], logger: logger)
    )
    return try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask {
            defer { portContinuation.finish() }
            try await services.run()
            return nil
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            // The server stopped before it listened: report why.
            _ = try await group.next()
            throw TestServerError(description: "The test server stopped before it started listening.")
        }
        let server = TestServer(
            endpoint: "http://127.0.0.1:\(port)/graphql",
            realtimeEndpoint: "ws://127.0.0.1:\(port)/graphql/realtime",
            port: port,
            apiKey: apiKey,
            dataSource: dataSource,
            application: serverApplication
        )
        let outcome: Swift.Result<Result, any Error>
        do {
            outcome = .success(try await body(server))
        } catch {
            outcome = .failure(error)
        }
        await services.triggerGracefulShutdown()
        // How the server ends is not the test's business.
        while (try? await group.next()) != nil {}
        await ownStore?.close()
        return try outcome.get()
    }
}
