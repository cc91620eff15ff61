import DataStore
import DataStoreAppSync

/// A model that syncs: its type, schema and the documents its sync sends.
struct SyncedModel: Sendable {
    let type: any Model.Type
    let documents: ModelDocuments
    var schema: ModelSchema { documents.schema }

    init(_ type: any Model.Type) {
        self.type = type
        let schema = type.schema
        documents = ModelDocuments(
            schema: schema,
            names: ModelOperationNames(
                schema: schema,
                queries: schema.operationArguments.queries,
                mutations: schema.operationArguments.mutations,
                subscriptions: schema.operationArguments.subscriptions
            )
        )
    }

    /// The item as the store records it.
    func record(_ item: RemoteItem) -> RemoteRecord {
        RemoteRecord(
            values: item.values,
            state: RemoteRecordState(
                version: item.version,
                lastChangedAt: item.lastChangedAt,
                isDeleted: item.isDeleted
            )
        )
    }

    /// A model of this type from stored values.
    func model(_ values: [FieldValue]) throws -> any Model {
        try type.init(fieldValues: FieldValues(values))
    }
}

/// What the sync actors share: the store, the way to the backend, the configuration, the clock
/// and where events and errors go.
struct SyncContext: Sendable {
    let store: DataStore
    let transport: any GraphQLTransport
    let configuration: SyncConfiguration
    let clock: any WallClock
    let events: EventBroadcaster
    /// The synced models, in the order the app registered them.
    let modelList: [SyncedModel]
    /// The same, by name.
    let models: [String: SyncedModel]
    /// What the outbox settled lately: the echoes of this store's own writes.
    let recentlySettled = RecentlySettled()
    /// Rung when the network comes back: back-offs under way end early.
    let networkBack = Alarm()

    init(
        store: DataStore,
        transport: any GraphQLTransport,
        configuration: SyncConfiguration,
        clock: any WallClock,
        events: EventBroadcaster,
        models: [SyncedModel]
    ) {
        self.store = store
        self.transport = transport
        self.configuration = configuration
        self.clock = clock
        self.events = events
        modelList = models
        self.models = Dictionary(modelList.map { ($0.schema.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Tells the error handler.
    func report(_ error: SyncError) {
        configuration.errorHandler(error)
    }

    /// Sends `request`, an `operation` on `model`, with the credentials its `@auth` rules call
    /// for: each in turn while the backend refuses them (HTTP 401 or 403, `Unauthorized`), the
    /// last one's answer standing.
    func send(
        _ request: OperationRequest,
        for model: SyncedModel,
        _ operation: ModelAuthRule.Operation
    ) async throws(SendFailure) -> GraphQLResponse {
        let modes = transport.modes(for: model.schema.authRules, operation)
        for mode in modes.dropLast() {
            do {
                let response = try await transport.send(request, mode: mode)
                if !Self.refusesCredentials(response.errors) { return response }
            } catch {
                switch error {
                case .status(401, _, _), .status(403, _, _): continue
                case .errors(let errors) where Self.refusesCredentials(errors): continue
                default: throw error
                }
            }
        }
        return try await transport.send(request, mode: modes.last ?? nil)
    }

    /// Whether a backend's errors say that these credentials may not do this (another kind may).
    static func refusesCredentials(_ errors: [AppSyncError]) -> Bool {
        errors.contains { $0.errorType == .unauthorized || $0.errorType == .notAuthorized }
    }

    /// The backend's copy of the record whose key `values` hold, through the model's get query;
    /// nil when the backend has none (or offers no get query).
    func fetch(_ model: SyncedModel, key values: [String: FieldValue]) async throws -> RemoteItem? {
        guard let request = model.documents.getRequest(key: values) else { return nil }
        let response = try await send(request, for: model, .get)
        return try model.documents.getResult(response)
    }
}
