import DataStoreSchema
public import DataStoreServer
import Hummingbird
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
    /// The server's engine, to arrange or inspect data without going through HTTP.
    public let engine: ServerEngine
}

/// Errors of ``withTestServer(schema:apiKey:configuration:_:)``.
public struct TestServerError: Error, CustomStringConvertible {
    public let description: String
}

/// Starts a server for `schema` (GraphQL SDL) with an in-memory database on a free loopback
/// port, runs `body` with it, and stops it (also when `body` throws).
///
/// - Throws: the schema's errors, a ``TestServerError`` when the server cannot start, or what
///   `body` throws.
public func withTestServer<Result: Sendable>(
    schema: String,
    apiKey: String = "da2-test-key",
    configuration: ServerConfiguration = ServerConfiguration(),
    _ body: @Sendable (TestServer) async throws -> Result
) async throws -> Result {
    let document = try SchemaParser.parse(schema)
    let store = try SQLiteItemStore(path: nil)
    let engine = ServerEngine(document: document, store: store, configuration: configuration)
    var options = ServerOptions()
    options.port = 0
    options.apiKeys = [apiKey]
    // One port, once: the newest value is all there is to keep.
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .bufferingNewest(1))
    let application = ServerApplication(api: try GraphQLAPI(engine: engine), options: options).makeApplication {
        port in
        portContinuation.yield(port)
        portContinuation.finish()
    }
    defer { portContinuation.finish() }
    return try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask {
            defer { portContinuation.finish() }
            try await application.run()
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
            engine: engine
        )
        do {
            let result = try await body(server)
            group.cancelAll()
            // The server ends with the cancellation; how it ends is not the test's business.
            while (try? await group.next()) != nil {}
            await store.close()
            return result
        } catch {
            group.cancelAll()
            while (try? await group.next()) != nil {}
            await store.close()
            throw error
        }
    }
}
