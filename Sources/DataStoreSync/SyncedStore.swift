import AsyncHTTPClient
public import DataStore
import DataStoreAppSync
public import Foundation
public import ServiceLifecycle

/// A `DataStore` kept in sync with an AppSync backend (`datastore-server`, or AWS AppSync).
///
/// ```swift
/// let synced = try await SyncedStore(
///     models: AppModels.self,
///     storage: .file(at: url),
///     endpoint: URL(string: "http://127.0.0.1:4000/graphql")!,
///     authorization: .apiKey("da2-…")
/// )
/// try await synced.start()
/// try await synced.store.save(Post(title: "Hello", rating: 5, status: .active))  // sent as it is saved
/// for await event in synced.events { print(event) }
/// ```
///
/// Read and write through ``store`` as with any store: every write also enters the outbox, in the
/// same transaction, and goes to the backend while sync runs. ``start()`` syncs each model (a base
/// sync the first time, deltas after) and then sends the outbox; ``stop()`` ends that; ``clear()``
/// empties the local store. It is a `Service`: in a `ServiceGroup`, ``run()`` syncs until the group
/// shuts down gracefully.
public final class SyncedStore: Service, Sendable {
    /// The local store: read and write through it.
    public let store: DataStore
    private let engine: SyncEngine
    private let context: SyncContext
    /// The HTTP client this instance made, shut down by ``close()``.
    private let ownedClient: HTTPClient?

    /// Opens (or creates) the local store for `models` and prepares its sync with the GraphQL
    /// endpoint `endpoint`.
    ///
    /// - Parameters:
    ///   - models: the app's models (the generated registry).
    ///   - storage: where the store lives: `.file(at:)` or `.inMemory` (sync keeps its metadata in
    ///     SQLite, so not `.ephemeral`).
    ///   - endpoint: the backend's GraphQL endpoint.
    ///   - authorization: the credentials sent with every request.
    ///   - configuration: how to sync.
    ///   - storeConfiguration: the local store's configuration (its clock also drives sync).
    /// - Throws: `DataStoreError` when the store cannot be opened (`syncUnavailable` for an
    ///   `.ephemeral` store).
    public convenience init(
        models: any ModelRegistry.Type,
        storage: StorageConfiguration,
        endpoint: URL,
        authorization: SyncAuthorization,
        configuration: SyncConfiguration = SyncConfiguration(),
        storeConfiguration: DataStore.Configuration = DataStore.Configuration()
    ) async throws(DataStoreError) {
        let client = AppSyncHTTPTransport.makeClient()
        do {
            try await self.init(
                models: models.models,
                storage: storage,
                transport: AppSyncHTTPTransport(endpoint: endpoint, authorization: authorization, client: client),
                realtime: RealtimeEndpoint.url(for: endpoint).map {
                    RealtimeSettings(endpoint: $0, authorization: authorization)
                },
                configuration: configuration,
                storeConfiguration: storeConfiguration,
                ownedClient: client
            )
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Opens the local store for `models`, syncing through `transport` (a test's fault-injecting
    /// wrapper, say), and subscribing to changes over `realtime` when given.
    public convenience init(
        models: [any Model.Type],
        storage: StorageConfiguration,
        transport: any GraphQLTransport,
        realtime: RealtimeSettings? = nil,
        configuration: SyncConfiguration = SyncConfiguration(),
        storeConfiguration: DataStore.Configuration = DataStore.Configuration()
    ) async throws(DataStoreError) {
        try await self.init(
            models: models,
            storage: storage,
            transport: transport,
            realtime: realtime,
            configuration: configuration,
            storeConfiguration: storeConfiguration,
            ownedClient: nil
        )
    }

    private init(
        models: [any Model.Type],
        storage: StorageConfiguration,
        transport: any GraphQLTransport,
        realtime: RealtimeSettings?,
        configuration: SyncConfiguration,
        storeConfiguration: DataStore.Configuration,
        ownedClient: HTTPClient?
    ) async throws(DataStoreError) {
        guard storage.canSync else { throw DataStoreError.syncUnavailable() }
        var storeConfiguration = storeConfiguration
        let storeErrors = storeConfiguration.errorHandler
        let syncErrors = configuration.errorHandler
        // A schema change that wiped unsent mutations is a sync failure too.
        storeConfiguration.errorHandler = { error in
            storeErrors(error)
            if error.code == .incompatibleSchema {
                syncErrors(SyncError(kind: .mutationsDiscarded, modelName: nil, modelID: nil, message: error.message))
            }
        }
        let synced = models.map(SyncedModel.init)
        let documents = Dictionary(
            synced.map { ($0.schema.name, $0.documents) },
            uniquingKeysWith: { first, _ in first }
        )
        let store = try await DataStore(
            models: models,
            storage: storage,
            configuration: storeConfiguration,
            outboxEnabled: true,
            outboxCheck: { schema, values in
                documents[schema.name]?.unselectedPath(in: values).map { path in
                    (
                        path,
                        "This value is nested deeper than sync selects a type that contains itself "
                            + "(\(ModelDocuments.recursionLimit) repeats on a path): it would reach the backend "
                            + "but never come back. Keep it nil at this depth, or flatten the structure."
                    )
                }
            }
        )
        self.store = store
        self.ownedClient = ownedClient
        let events = EventBroadcaster()
        let monitor = ReachabilityMonitor(
            transport: transport,
            events: events,
            clock: storeConfiguration.clock,
            probes: configuration.reachabilityProbes
        )
        context = SyncContext(
            store: store,
            transport: ObservedTransport(base: transport, monitor: monitor),
            configuration: configuration,
            clock: storeConfiguration.clock,
            events: events,
            models: synced
        )
        engine = SyncEngine(
            context: context,
            monitor: monitor,
            realtime: realtime.flatMap { settings in
                guard configuration.subscribesToChanges else { return nil }
                return
                    SubscriptionProcessor(
                        endpoint: settings.endpoint,
                        authorization: settings.authorization,
                        models: synced,
                        filters: Self.subscriptionFilters(configuration.syncExpressions, synced),
                        clock: storeConfiguration.clock,
                        identityClaim: configuration.identityClaim
                    )
            }
        )
    }

    /// The subscription filter of each model whose sync expression one can say: the backend then
    /// sends only the changes the store keeps (the rest are filtered as they arrive).
    static func subscriptionFilters(_ expressions: [SyncExpression], _ models: [SyncedModel]) -> [String: FieldValue] {
        var filters: [String: FieldValue] = [:]
        for model in models {
            guard let expression = expressions.first(where: { $0.modelName == model.schema.name }),
                let filter = try? expression.predicate.graphQLFilter(for: model.schema),
                let converted = model.documents.subscriptionFilter(from: filter)
            else { continue }
            filters[model.schema.name] = converted
        }
        return filters
    }

    /// What sync does, as it happens. Each call is a new subscription with a buffer of its own
    /// (the newest 256 events; a consumer further behind loses the oldest); it ends with
    /// ``close()``.
    public var events: AsyncStream<SyncEvent> {
        context.events.stream()
    }

    /// Starts syncing: each model's sync query (parents first), then the outbox, until
    /// ``stop()``. Starting a running sync does nothing.
    public func start() async {
        await engine.start()
    }

    /// Stops syncing and returns when its work has ended. Mutations on the wire are sent again
    /// on the next start (the backend recognises a create it already applied).
    public func stop() async {
        await engine.stop()
    }

    /// Stops syncing, waits for work in flight, and empties the local store: models, outbox, dead
    /// letters and sync state. Sync stays stopped; the next ``start()`` syncs from scratch.
    public func clear() async throws(DataStoreError) {
        await engine.stop()
        try await store.clear()
    }

    /// Lets sending go on after the backend refused the credentials (a token provider now has a
    /// fresh token, say). Sending also retries by itself after the retry policy's longest wait.
    public func credentialsChanged() async {
        await engine.resume()
    }

    /// Syncs until the service group shuts down gracefully (or the task is cancelled), then stops.
    public func run() async throws {
        await start()
        try? await gracefulShutdown()
        await stop()
    }

    /// Stops syncing and closes the store; ``events`` sequences end.
    public func close() async {
        await engine.stop()
        context.events.finish()
        await store.close()
        try? await ownedClient?.shutdown()
    }

    /// How many local writes have not reached the backend yet (merged writes count once; those
    /// on the wire count until their answer is settled). Zero means everything written so far is
    /// on the backend — say, before signing a user out.
    public func pendingMutationCount() async throws(DataStoreError) -> Int {
        try await store.engine.outboxEntries().count
    }

    // MARK: Dead letters

    /// The mutations the backend refused for good, oldest first.
    public func deadLetters() async throws(DataStoreError) -> [DeadLetter] {
        try await store.engine.deadLetters()
    }

    /// Puts a dead letter back in the outbox, to be sent again; false when it is not (or no
    /// longer) a dead letter.
    @discardableResult
    public func retry(_ letter: DeadLetter) async throws(DataStoreError) -> Bool {
        try await store.engine.retryDeadLetter(letter.entry.sequence)
    }

    /// Drops a dead letter for good (the local copy stays as it is); false when it is not (or no
    /// longer) a dead letter.
    @discardableResult
    public func discard(_ letter: DeadLetter) async throws(DataStoreError) -> Bool {
        try await store.engine.discardDeadLetter(letter.entry.sequence)
    }
}

/// Where and how a ``SyncedStore`` subscribes to the backend's changes (PROTOCOL §6).
public struct RealtimeSettings: Sendable {
    /// The real-time WebSocket endpoint (``RealtimeEndpoint/url(for:)`` derives it from the
    /// GraphQL endpoint).
    public var endpoint: URL
    /// The credentials of the WebSocket's handshake and of each subscription.
    public var authorization: SyncAuthorization

    /// Subscribes at `endpoint` with `authorization`.
    public init(endpoint: URL, authorization: SyncAuthorization) {
        self.endpoint = endpoint
        self.authorization = authorization
    }
}
