import Foundation
import Logging
import Synchronization

/// An offline-first store of models, persisted in SQLite.
///
/// ```swift
/// let store = try await DataStore(models: AppModels.self, storage: .file(at: url))
/// try await store.save(Post(title: "My First Post", rating: 10, status: .active))
/// let good = try await store.query(Post.self, where: \.rating > 4, sort: .descending(\.rating))
/// for try await change in store.observe(Post.self) { print(change.kind, change.model.title) }
/// ```
///
/// A store is `Sendable`: share one instance across tasks. Writes are serialized on the store's
/// own executor and are atomic; reads of file stores run concurrently with writes. Call
/// ``close()`` when done; observation sequences end then.
public final class DataStore: Sendable {
    package let engine: StorageEngine
    let models: RegisteredModels
    let hub: ChangeHub
    let configuration: Configuration
    let storage: StorageConfiguration
    /// Reads that bypass the engine (SQLite files), fetched once at open.
    private let concurrentReader: (any ConcurrentStorageReader)?
    private let closed = Atomic(false)
    /// The weak reference to this store that the models it produces carry, to load relations.
    let link: StoreLink
    /// The context decoded models receive.
    var relationContext: RelationContext { RelationContext(link: link) }

    /// Opens (or creates) a store for the models of `registry`.
    public convenience init(
        models registry: any ModelRegistry.Type,
        storage: StorageConfiguration,
        configuration: Configuration = Configuration()
    ) async throws(DataStoreError) {
        try await self.init(models: registry.models, storage: storage, configuration: configuration)
    }

    /// Opens (or creates) a store for `models`.
    ///
    /// When the stored schema differs from the models, additive changes (new models, new optional
    /// fields, new enum values, new or removed indexes) are migrated in place. Other changes follow
    /// ``Configuration/onIncompatibleSchema``. A store written by a newer schema is refused with
    /// ``DataStoreError/Code/newerStore`` and left untouched.
    ///
    /// A file is open in one store at a time in a process: opening it again (by any path) before
    /// the first store closes throws ``DataStoreError/Code/cannotOpen``. Share the one store
    /// instead; it is `Sendable`.
    ///
    /// - Throws: ``DataStoreError`` — `invalidSchema`, `notADatabase`, `corruptDatabase`,
    ///   `newerStore`, `incompatibleSchema`, `cannotOpen`, `readOnlyStore`.
    public convenience init(
        models: [any Model.Type],
        storage: StorageConfiguration,
        configuration: Configuration = Configuration()
    ) async throws(DataStoreError) {
        try await self.init(models: models, storage: storage, configuration: configuration, outboxEnabled: false)
    }

    /// Opens a store; `outboxEnabled` records every write in the outbox (sync turns it on),
    /// after `outboxCheck` let the values through.
    package init(
        models types: [any Model.Type],
        storage: StorageConfiguration,
        configuration: Configuration,
        outboxEnabled: Bool,
        outboxCheck: OutboxValueCheck? = nil
    ) async throws(DataStoreError) {
        let models = try RegisteredModels(types)
        let hub = ChangeHub()
        let link = StoreLink()
        let engine = StorageEngine(
            hub: hub,
            models: models,
            context: RelationContext(link: link),
            outboxEnabled: outboxEnabled,
            outboxCheck: outboxCheck,
            clock: configuration.clock
        )
        let report = try await engine.open(storage, schemas: models.schemas, policy: configuration.onIncompatibleSchema)
        self.engine = engine
        self.models = models
        self.link = link
        self.hub = hub
        self.configuration = configuration
        self.storage = storage
        concurrentReader = await engine.concurrentReader
        link.attach(self)
        if case .incompatible(let detail, _, _) = report.change {
            configuration.logger.warning(
                "Stored schema replaced; local data was deleted",
                metadata: ["change": "\(detail)"]
            )
            if !report.discardedMutations.isEmpty {
                configuration.errorHandler(
                    DataStoreError(
                        code: .incompatibleSchema,
                        message: "The schema change (\(detail)) deleted local data, including "
                            + "\(report.discardedMutations.count) mutation(s) that had not been sent: "
                            + report.discardedMutations.map { "\($0.kind.rawValue) \($0.modelName) \($0.modelID)" }
                            .joined(separator: ", "),
                        path: storage.path
                    )
                )
            }
        }
    }

    deinit {
        hub.finish()
    }

    /// Closes the store: observation sequences end, and later calls throw
    /// ``DataStoreError/Code/storeClosed``.
    public func close() async {
        closed.store(true, ordering: .releasing)
        await engine.close()
    }

    // MARK: Reading helpers

    /// Runs a read: concurrently on the SQLite reader pool when there is one, otherwise on the
    /// storage engine.
    func read<T: Sendable>(
        _ body: @escaping @Sendable (any StorageReading) throws(DataStoreError) -> T
    )
        async throws(DataStoreError) -> T
    {
        if Task.isCancelled { throw .cancelled() }
        guard !closed.load(ordering: .acquiring) else { throw .storeClosed() }
        if let concurrentReader {
            return try await concurrentReader.read(body)
        }
        return try await engine.read(body)
    }
}
