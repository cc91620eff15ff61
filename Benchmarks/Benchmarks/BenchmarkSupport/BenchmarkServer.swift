public import AsyncHTTPClient
public import DataStore
import DataStoreServer
public import DataStoreServerTesting
public import Foundation
import NIOCore
import Synchronization

/// A `datastore-server` in the benchmark's process on a SQLite file in `directory`, with an HTTP
/// client to reach it, started by a benchmark's `setup` and stopped by its `teardown` (the
/// framework's hooks are not scoped, so the scoped test server runs in a task of its own).
public final class BenchmarkServer: Sendable {
    /// The running server.
    public let server: TestServer
    /// An HTTP client with room for 16 connections to it.
    public let http: HTTPClient
    /// Numbers iterations, so that every iteration writes items of its own.
    public let counter = Counter()
    /// The token requests carry in `Authorization`; nil sends the API key instead.
    public let token: String?
    private let directory: URL
    private let stopSignal: AsyncStream<Void>.Continuation
    private let running: Task<Void, any Error>

    private init(
        server: TestServer,
        http: HTTPClient,
        directory: URL,
        stopSignal: AsyncStream<Void>.Continuation,
        running: Task<Void, any Error>,
        token: String?
    ) {
        self.token = token
        self.server = server
        self.http = http
        self.directory = directory
        self.stopSignal = stopSignal
        self.running = running
    }

    /// Starts a server for `schema` on a fresh `server.sqlite` in `directory` (emptied first).
    /// With `issuer`, the server trusts its tokens and requests carry `token` instead of the API key.
    public static func start(
        schema: String,
        directory: URL,
        issuer: TestTokenIssuer? = nil,
        token: String? = nil
    ) async throws -> BenchmarkServer {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try SQLiteItemStore(path: directory.appending(path: "server.sqlite").path)
        // One server, once; the stop signal is finished, not yielded.
        let (ready, readyContinuation) = AsyncStream.makeStream(
            of: TestServer.self,
            bufferingPolicy: .bufferingNewest(1)
        )
        let (stop, stopContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        var options = ServerOptions()
        options.maximumBodySize = 4 << 20
        if let issuer { options.tokenIssuers = [try issuer.tokenIssuer] }
        let running = Task {
            defer { readyContinuation.finish() }
            try await withTestServer(schema: schema, options: options, store: store) { server in
                readyContinuation.yield(server)
                for await _ in stop {}
            }
            await store.close()
        }
        var iterator = ready.makeAsyncIterator()
        guard let server = await iterator.next() else {
            try await running.value
            throw BenchmarkServerError.notStarted
        }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 16
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        return BenchmarkServer(
            server: server,
            http: http,
            directory: directory,
            stopSignal: stopContinuation,
            running: running,
            token: token
        )
    }

    /// Stops the server and removes its directory.
    public func stop() async {
        try? await http.shutdown()
        stopSignal.finish()
        try? await running.value
        try? FileManager.default.removeItem(at: directory)
    }

    /// Creates `count` items of `model` through the data source, eight writers at a time;
    /// `input` gives item number `index`'s fields.
    public func seed(
        _ model: String,
        count: Int,
        input: @escaping @Sendable (_ index: Int) -> [String: FieldValue]
    ) async throws {
        let dataSource = server.dataSource
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for index in stride(from: writer, to: count, by: 8) {
                        _ = try await dataSource.create(model, input: input(index))
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Posts a GraphQL request with the server's API key (or the token); returns the response body.
    public func post(_ query: String, variables: FieldValue) async throws -> String {
        var request = HTTPClientRequest(url: server.endpoint)
        request.method = .POST
        if let token {
            request.headers.add(name: "authorization", value: token)
        } else {
            request.headers.add(name: "x-api-key", value: server.apiKey)
        }
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(
            ByteBuffer(string: FieldValue.object(["query": .string(query), "variables": variables]).jsonText)
        )
        let response = try await http.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 64 << 20)
        guard response.status == .ok else { throw BenchmarkServerError.status(Int(response.status.code)) }
        return String(buffer: body)
    }

    /// A whole base sync of `Post` selecting `fields`, page by page; returns how many items came.
    public func syncAllPosts(selecting fields: String) async throws -> Int {
        var (token, count) = (String?.none, 0)
        repeat {
            let page = try await syncPostsPage(selecting: fields, after: token)
            count += page.items
            token = page.nextToken
        } while token != nil
        return count
    }

    /// One page of 1,000 of a base sync of `Post` selecting `fields`: its item count and token.
    private func syncPostsPage(
        selecting fields: String,
        after token: String?
    ) async throws -> (
        items: Int, nextToken: String?
    ) {
        let text = try await post(
            """
            query S($token: String) { syncPosts(limit: 1000, nextToken: $token) {
              items { \(fields) } nextToken startedAt } }
            """,
            variables: ["token": token.map { .string($0) } ?? .null]
        )
        guard case .object(let root) = try FieldValue(jsonText: text), case .object(let data)? = root["data"],
            case .object(let sync)? = data["syncPosts"], case .list(let items)? = sync["items"]
        else { throw BenchmarkServerError.unexpected(text) }
        if case .string(let next)? = sync["nextToken"] { return (items.count, next) }
        return (items.count, nil)
    }
}

/// Numbers iterations: 1, 2, 3, …
public final class Counter: Sendable {
    private let value = Mutex(0)

    /// A counter before its first number.
    public init() {}

    /// The next number.
    public func next() -> Int {
        value.withLock {
            $0 += 1
            return $0
        }
    }
}

/// Why a benchmark server failed.
public enum BenchmarkServerError: Error {
    /// The server ended before it was ready.
    case notStarted
    /// The server answered with this HTTP status.
    case status(Int)
    /// The server's answer did not have the expected shape.
    case unexpected(String)
}
