import AsyncHTTPClient
import BlogModels
import DataStore
import DataStoreAppSync
import DataStoreServer
import DataStoreServerTesting
import DataStoreSyncTesting
import DataStoreTesting
import Foundation
import Testing

@testable import DataStoreSync

/// The seed schema the blog models are generated from.
let blogSchema: String = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "Sources/BlogModels/schema.graphql")
    return try! String(contentsOf: url, encoding: .utf8)
}()

/// A synced blog store on a fresh file, talking to `server` through `transport` (the real HTTP
/// transport unless given), subscribed at `realtime` when given; closed after `body`.
func withSyncedStore<T>(
    _ server: TestServer,
    client: HTTPClient,
    directory: TemporaryDirectory? = nil,
    configuration: SyncConfiguration = SyncConfiguration(),
    transport: (any GraphQLTransport)? = nil,
    realtime: String? = nil,
    clock: (any WallClock)? = nil,
    _ body: (SyncedStore) async throws -> T
) async throws -> T {
    let own = directory == nil ? try TemporaryDirectory() : nil
    let folder = directory ?? own!
    defer { own?.remove() }
    let http = AppSyncHTTPTransport(
        endpoint: URL(string: server.endpoint)!,
        authorization: .apiKey(server.apiKey),
        client: client
    )
    var storeConfiguration = DataStore.Configuration()
    if let clock { storeConfiguration.clock = clock }
    let synced = try await SyncedStore(
        models: BlogModels.AppModels.models,
        storage: .file(at: folder.file()),
        transport: transport ?? http,
        realtime: realtime.map { RealtimeSettings(endpoint: URL(string: $0)!, authorization: .apiKey(server.apiKey)) },
        configuration: configuration,
        storeConfiguration: storeConfiguration
    )
    return try await closing(synced, body)
}

/// Reads `events` until one matches `predicate`; fails the test if they end first.
@discardableResult
func next(
    _ events: inout AsyncStream<SyncEvent>.Iterator,
    sourceLocation: SourceLocation = #_sourceLocation,
    where predicate: (SyncEvent) -> Bool
) async -> SyncEvent? {
    while let event = await events.next() {
        if predicate(event) { return event }
    }
    Issue.record("the events ended before the one awaited", sourceLocation: sourceLocation)
    return nil
}

/// Waits until the outbox has work and then none: every write made before the call settled.
func drained(_ events: inout AsyncStream<SyncEvent>.Iterator, sourceLocation: SourceLocation = #_sourceLocation) async {
    await next(&events, sourceLocation: sourceLocation) { $0 == .outboxStatus(isEmpty: false) }
    await next(&events, sourceLocation: sourceLocation) { $0 == .outboxStatus(isEmpty: true) }
}

/// Waits until every write of `synced` reached the backend (at once when none waits).
func emptied(_ synced: SyncedStore, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    // Listening before looking: an outbox that empties in between is still heard.
    var events = synced.events.makeAsyncIterator()
    while try await synced.pendingMutationCount() > 0 {
        // Events that ended (the store closed, the test timed out) end the wait: the issue is recorded.
        guard
            await next(
                &events,
                sourceLocation: sourceLocation,
                where: { if case .outboxStatus = $0 { true } else { false } }
            ) != nil
        else { return }
    }
}

/// The server's copy of a post, as its data source holds it.
func serverPost(_ server: TestServer, _ id: String) async throws -> [String: FieldValue]? {
    guard case .object(let members)? = try await server.dataSource.get("Post", key: ["id": .string(id)]) else {
        return nil
    }
    return members
}

/// A transport that passes requests to `base`, with faults a test arms.
final class FaultyTransport: GraphQLTransport {
    enum Fault: Sendable {
        /// Sends the request as it is.
        case pass
        /// Sends the request, then fails as if the answer were lost.
        case loseAnswer
        /// Fails without sending, with this failure.
        case fail(SendFailure)
        /// Waits for ``release()`` before sending (or fails when the task is cancelled meanwhile).
        case hold
    }

    let base: any GraphQLTransport
    private let faults = Locked<[Fault]>([])
    private let sent = Locked<[OperationRequest]>([])
    /// Mutations between the start and the end of their send (held ones too), now and at most.
    private let wire = Locked<(now: Int, peak: Int)>((0, 0))
    private let gate: AsyncStream<Void>
    private let opener: AsyncStream<Void>.Continuation
    /// Each request that starts waiting to be released.
    let holding: AsyncStream<OperationRequest>
    private let holdingContinuation: AsyncStream<OperationRequest>.Continuation

    init(_ base: any GraphQLTransport) {
        self.base = base
        // Unbounded on purpose: a test releases as many times as it held, no more.
        (gate, opener) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .unbounded)
        (holding, holdingContinuation) = AsyncStream.makeStream(
            of: OperationRequest.self,
            bufferingPolicy: .unbounded
        )
    }

    /// Lets one held request go.
    func release() {
        opener.yield()
    }

    /// Faults for the next mutations, in order.
    func arm(_ faults: [Fault]) {
        self.faults.withLock { $0.append(contentsOf: faults) }
    }

    /// The mutations sent so far.
    var mutations: [OperationRequest] {
        sent.withLock { $0 }.filter { $0.query.hasPrefix("mutation") }
    }

    /// The most mutations that were being sent at once.
    var peakMutationsOnTheWire: Int {
        wire.withLock { $0.peak }
    }

    func send(_ request: OperationRequest) async throws(SendFailure) -> GraphQLResponse {
        let isMutation = request.query.hasPrefix("mutation")
        if isMutation {
            wire.withLock { wire in
                wire.now += 1
                wire.peak = max(wire.peak, wire.now)
            }
        }
        defer { if isMutation { wire.withLock { $0.now -= 1 } } }
        let fault = isMutation ? faults.withLock { $0.isEmpty ? nil : $0.removeFirst() } : nil
        if case .fail(let failure)? = fault { throw failure }
        if case .hold? = fault {
            holdingContinuation.yield(request)
            var iterator = gate.makeAsyncIterator()
            guard await iterator.next() != nil, !Task.isCancelled else { throw .transport("cancelled while held") }
        }
        sent.withLock { $0.append(request) }
        let response = try await base.send(request)
        if case .loseAnswer? = fault { throw .transport("the answer was lost (injected)") }
        return response
    }
}

/// A `datastore-server` for the blog schema in the test process, and an HTTP client for sync, for
/// the length of `body`.
func withBlogServer<T: Sendable>(_ body: @Sendable (TestServer, HTTPClient) async throws -> T) async throws -> T {
    try await withSyncClient { client in
        try await withTestServer(schema: blogSchema) { server in try await body(server, client) }
    }
}

extension FieldValue {
    /// The number an `.int` holds.
    var intValue: Int? {
        if case .int(let number) = self { number } else { nil }
    }
}

/// A fault-injecting transport over the real HTTP one, to `server`.
func faultyTransport(_ server: TestServer, _ client: HTTPClient) -> FaultyTransport {
    FaultyTransport(
        AppSyncHTTPTransport(
            endpoint: URL(string: server.endpoint)!,
            authorization: .apiKey(server.apiKey),
            client: client
        )
    )
}

/// A transport that sends nothing: every request fails as an unreachable backend does.
struct NowhereTransport: GraphQLTransport {
    func send(_ request: OperationRequest) async throws(SendFailure) -> GraphQLResponse {
        throw .transport("no backend in this test")
    }
}

/// A synced store of `models` on a fresh file that is never started, for what happens before
/// anything is sent; closed after `body`.
func withUnstartedStore<T>(
    models: [any Model.Type] = BlogModels.AppModels.models,
    _ body: (SyncedStore) async throws -> T
) async throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let synced = try await SyncedStore(
        models: models,
        storage: .file(at: directory.file()),
        transport: NowhereTransport()
    )
    return try await closing(synced, body)
}

/// The blog server with a ``FaultProxy`` in front of its port (HTTP and WebSocket alike), and an
/// HTTP client for sync, for the length of `body`.
func withProxiedBlogServer<T: Sendable>(
    _ body: @Sendable (TestServer, HTTPClient, FaultProxy) async throws -> T
) async throws -> T {
    try await withBlogServer { server, client in
        try await withFaultProxy(port: server.port) { proxy in try await body(server, client, proxy) }
    }
}

/// The real HTTP transport to `server`, through `proxy`.
func proxiedTransport(
    _ proxy: FaultProxy,
    _ server: TestServer,
    _ client: HTTPClient,
    timeout: Duration
) -> AppSyncHTTPTransport {
    AppSyncHTTPTransport(
        endpoint: URL(string: proxy.endpoint())!,
        authorization: .apiKey(server.apiKey),
        client: client,
        timeout: timeout
    )
}

extension FaultProxy {
    /// The server's real-time endpoint, through the proxy.
    var realtimeEndpoint: String { endpoint(path: "/graphql/realtime", scheme: "ws") }
}

/// Runs `body` with `synced`, and closes it however `body` ends.
func closing<T>(_ synced: SyncedStore, _ body: (SyncedStore) async throws -> T) async throws -> T {
    do {
        let result = try await body(synced)
        await synced.close()
        return result
    } catch {
        await synced.close()
        throw error
    }
}
