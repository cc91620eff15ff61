/// A storage backend. The ``StorageEngine`` owns its adapter and calls it only from its own serial
/// executor, so adapters are synchronous and need no locking of their own.
protocol StorageAdapter: AnyObject {
    /// Prepares storage for `schemas`: creates tables, migrates a stored schema, checks versions.
    func open(
        schemas: [ModelSchema],
        onIncompatibleSchema: IncompatibleSchemaPolicy
    ) throws(DataStoreError)
        -> OpenReport

    /// Runs `body` in one transaction, committing if it returns and rolling back if it throws.
    func transaction<T>(_ body: (any StorageTransaction) throws(DataStoreError) -> T) throws(DataStoreError) -> T

    /// Runs `body` with a consistent read view.
    func read<T>(_ body: (any StorageReading) throws(DataStoreError) -> T) throws(DataStoreError) -> T

    /// A reader that may run concurrently with the engine, or nil when reads must go through it.
    var concurrentReader: (any ConcurrentStorageReader)? { get }

    /// Releases the storage. Later calls throw ``DataStoreError/Code/storeClosed``.
    func close()
}

/// Reads that run off the engine's executor, concurrently with writes (SQLite in WAL mode).
protocol ConcurrentStorageReader: Sendable {
    func read<T: Sendable>(
        _ body: @escaping @Sendable (any StorageReading) throws(DataStoreError) -> T
    )
        async throws(DataStoreError) -> T
}

/// A fetch: which rows, in which order, which page.
struct FetchRequest: Sendable {
    var predicate: ResolvedPredicate = .constant(true)
    var sort: [ResolvedSortKey] = []
    var page: QueryPage?
    /// What decoded models load their relations through.
    var context = RelationContext()
}

/// A sort key resolved to a field position.
struct ResolvedSortKey: Hashable, Sendable {
    let fieldIndex: Int
    let field: ModelField
    let ascending: Bool
}

/// Read access to stored models, as values in schema order.
protocol StorageReading {
    /// Calls `visit` with each matching row's values. `visit` may keep the array (it is copied on
    /// the next row then); when it does not, one buffer serves every row.
    func fetch(
        _ schema: ModelSchema,
        _ request: FetchRequest,
        _ visit: ([FieldValue]) throws(DataStoreError) -> Void
    )
        throws(DataStoreError)
    /// The matching models, decoded.
    func fetch<M: Model>(_ type: M.Type, _ schema: ModelSchema, _ request: FetchRequest) throws(DataStoreError) -> [M]
    /// The row with the identifier, if stored.
    func fetchOne(_ schema: ModelSchema, _ identifier: ModelIdentifier) throws(DataStoreError) -> [FieldValue]?
    /// The number of matching rows.
    func count(_ schema: ModelSchema, _ predicate: ResolvedPredicate) throws(DataStoreError) -> Int
    /// Whether any row matches.
    func exists(_ schema: ModelSchema, _ predicate: ResolvedPredicate) throws(DataStoreError) -> Bool
    /// The pending outbox entries, oldest first.
    func outboxEntries() throws(DataStoreError) -> [OutboxEntry]
}

extension StorageReading {
    func fetch<M: Model>(_ type: M.Type, _ schema: ModelSchema, _ request: FetchRequest) throws(DataStoreError) -> [M] {
        var models: [M] = []
        try fetch(schema, request) { values throws(DataStoreError) in
            models.append(try schema.decode(M.self, values, context: request.context))
        }
        return models
    }
}

/// Write access inside a transaction.
protocol StorageTransaction: StorageReading {
    /// Inserts a new row. The caller knows the identifier is free.
    func insert(_ schema: ModelSchema, _ values: [FieldValue]) throws(DataStoreError)
    /// Inserts the row, or replaces the row with the same identifier; says which it did.
    func upsert(_ schema: ModelSchema, _ values: [FieldValue]) throws(DataStoreError) -> MutationKind
    /// Replaces the row with the same identifier; returns false when there is none.
    func update(_ schema: ModelSchema, _ values: [FieldValue]) throws(DataStoreError) -> Bool
    /// Deletes the row with the identifier, returning its values, or nil when there is none.
    func delete(_ schema: ModelSchema, _ identifier: ModelIdentifier) throws(DataStoreError) -> [FieldValue]?
    /// Deletes the matching rows, returning their values.
    func delete(_ schema: ModelSchema, _ predicate: ResolvedPredicate) throws(DataStoreError) -> [[FieldValue]]
    /// Appends a mutation to the outbox, assigning its sequence number.
    func enqueue(_ entry: OutboxEntry) throws(DataStoreError)
    /// The newest outbox entry of the record `modelID` of `model`, if any.
    func newestOutboxEntry(model: String, modelID: String) throws(DataStoreError) -> OutboxEntry?
    /// Gives the entry `sequence` the kind and values of `entry` (keeping its place).
    func replaceOutboxEntry(_ sequence: Int64, with entry: OutboxEntry) throws(DataStoreError)
    /// Removes the entry `sequence`.
    func removeOutboxEntry(_ sequence: Int64) throws(DataStoreError)
    /// Marks the entries `sequences` as handed to the network, or (`false`) as waiting again.
    func setOutboxInFlight(_ sequences: [Int64], _ inFlight: Bool) throws(DataStoreError)
    /// Deletes every model row, the outbox, sync metadata and sync state.
    func deleteAllData(_ schemas: [ModelSchema]) throws(DataStoreError)
}
