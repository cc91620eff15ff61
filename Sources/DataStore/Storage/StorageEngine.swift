/// Owns the storage adapter and performs every write.
///
/// The actor runs on its own serial executor (a dispatch queue), so SQLite's blocking calls never
/// occupy Swift's cooperative thread pool. A write runs its whole transaction without suspending
/// and publishes the commit's changes before returning, so the order of change events is the
/// commit order.
actor StorageEngine {
    private let executor: StorageExecutor
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    /// Finishes when the engine's thread has ended.
    nonisolated var executorThreadExit: AsyncStream<Void> { executor.threadExit }

    let hub: ChangeHub
    private var adapter: (any StorageAdapter)?
    /// Whether writes also enqueue outbox mutations (sync enabled).
    private let outboxEnabled: Bool
    private let now: @Sendable () -> Int64

    /// Reads that may bypass the engine; set once the storage is open.
    private(set) var concurrentReader: (any ConcurrentStorageReader)?

    init(hub: ChangeHub, outboxEnabled: Bool, now: @escaping @Sendable () -> Int64) {
        executor = StorageExecutor(label: "swift-datastore.storage")
        self.hub = hub
        self.outboxEnabled = outboxEnabled
        self.now = now
    }

    /// Opens the storage on the engine's executor.
    func open(
        _ storage: StorageConfiguration,
        schemas: [ModelSchema],
        policy: IncompatibleSchemaPolicy
    ) throws(DataStoreError) -> OpenReport {
        let adapter: any StorageAdapter
        switch storage.kind {
        case .file(let path):
            adapter = try SQLiteAdapter(path: path, maximumSizeInBytes: storage.maximumSizeInBytes)
        case .sqliteInMemory:
            adapter = try SQLiteAdapter(path: nil, maximumSizeInBytes: storage.maximumSizeInBytes)
        case .ephemeral:
            adapter = MemoryAdapter()
        }
        do {
            let report = try adapter.open(schemas: schemas, onIncompatibleSchema: policy)
            self.adapter = adapter
            concurrentReader = adapter.concurrentReader
            return report
        } catch {
            adapter.close()
            throw error
        }
    }

    func close() {
        adapter?.close()
        adapter = nil
        concurrentReader = nil
        hub.finish()
    }

    private func openAdapter() throws(DataStoreError) -> any StorageAdapter {
        guard let adapter else { throw .storeClosed() }
        return adapter
    }

    // MARK: Reads through the engine (adapters without concurrent readers)

    func read<T>(_ body: (any StorageReading) throws(DataStoreError) -> T) throws(DataStoreError) -> T {
        try openAdapter().read(body)
    }

    // MARK: Writes

    /// A model to save, already encoded and validated by the caller.
    struct PendingSave: Sendable {
        let model: any Model
        let values: [FieldValue]
    }

    /// Saves models of one schema in one transaction. With a condition, each model must exist and
    /// satisfy it.
    func save(_ saves: [PendingSave], schema: ModelSchema, condition: ResolvedPredicate?) throws(DataStoreError) {
        let adapter = try openAdapter()
        if Task.isCancelled { throw .cancelled() }
        let kinds = try adapter.transaction { transaction throws(DataStoreError) in
            var kinds: [MutationKind] = []
            kinds.reserveCapacity(saves.count)
            for save in saves {
                let kind: MutationKind
                if let condition {
                    try requireCondition(
                        condition,
                        in: transaction,
                        schema,
                        ModelIdentifier(of: save.values, in: schema),
                        operation: "save"
                    )
                    _ = try transaction.update(schema, save.values)
                    kind = .updated
                } else {
                    kind = try transaction.upsert(schema, save.values)
                }
                if outboxEnabled {
                    let identifier = ModelIdentifier(of: save.values, in: schema)
                    try transaction.enqueue(
                        outboxEntry(kind == .created ? .create : .update, schema, identifier, save.values, condition)
                    )
                }
                kinds.append(kind)
            }
            return kinds
        }
        // The commit is published here, on the engine's executor and before any later write. Events
        // cost allocations, so they are built only when someone is listening at this point.
        guard hub.hasSubscribers(for: schema.name) else { return }
        var changes: [StorageChange] = []
        changes.reserveCapacity(saves.count)
        for (save, kind) in zip(saves, kinds) {
            changes.append(
                StorageChange(
                    modelName: schema.name,
                    kind: kind,
                    source: .local,
                    identifier: ModelIdentifier(of: save.values, in: schema),
                    values: save.values,
                    model: save.model
                )
            )
        }
        hub.publish(ChangeBatch(changes: changes))
    }

    /// Deletes the model with `identifier`; with a condition, it must exist and satisfy it.
    /// Returns the deleted model, or nil when there was none.
    func delete<M: Model>(
        _ type: M.Type,
        schema: ModelSchema,
        identifier: ModelIdentifier,
        condition: ResolvedPredicate?
    ) throws(DataStoreError) -> M? {
        let adapter = try openAdapter()
        if Task.isCancelled { throw .cancelled() }
        let change: StorageChange? = try adapter.transaction { transaction throws(DataStoreError) in
            if let condition {
                try requireCondition(condition, in: transaction, schema, identifier, operation: "delete")
            }
            guard let values = try transaction.delete(schema, identifier) else { return nil }
            return try recordDeletion(M.self, values, identifier, schema, condition, in: transaction)
        }
        guard let change else { return nil }
        hub.publish(ChangeBatch(changes: [change]))
        return change.model as? M
    }

    /// Deletes every model matching `predicate` in one transaction; returns them.
    func delete<M: Model>(
        _ type: M.Type,
        schema: ModelSchema,
        matching predicate: ResolvedPredicate
    )
        throws(DataStoreError) -> [M]
    {
        let adapter = try openAdapter()
        if Task.isCancelled { throw .cancelled() }
        let changes = try adapter.transaction { transaction throws(DataStoreError) in
            var changes: [StorageChange] = []
            for values in try transaction.delete(schema, predicate) {
                let identifier = ModelIdentifier(of: values, in: schema)
                changes.append(try recordDeletion(M.self, values, identifier, schema, nil, in: transaction))
            }
            return changes
        }
        if !changes.isEmpty { hub.publish(ChangeBatch(changes: changes)) }
        return changes.compactMap { $0.model as? M }
    }

    /// Throws unless the stored model with `identifier` exists and satisfies `condition`.
    private func requireCondition(
        _ condition: ResolvedPredicate,
        in transaction: any StorageTransaction,
        _ schema: ModelSchema,
        _ identifier: ModelIdentifier,
        operation: String
    ) throws(DataStoreError) {
        guard let existing = try transaction.fetchOne(schema, identifier) else {
            throw DataStoreError(
                code: .modelNotFound,
                message: "A conditional \(operation) needs a stored \(schema.name) with identifier \(identifier), and "
                    + "there is none." + (operation == "save" ? " Save without a condition to create it." : ""),
                model: schema.name
            )
        }
        guard condition.evaluate(existing) else {
            throw DataStoreError(
                code: .conditionNotMet,
                message: "The stored \(schema.name) \(identifier) does not satisfy the \(operation)'s condition; "
                    + "nothing was changed.",
                model: schema.name
            )
        }
    }

    /// The event (and, with sync, the outbox entry) of a deleted row. Decoding it first means an
    /// undecodable row fails the whole delete instead of producing an event without a model.
    private func recordDeletion<M: Model>(
        _ type: M.Type,
        _ values: [FieldValue],
        _ identifier: ModelIdentifier,
        _ schema: ModelSchema,
        _ condition: ResolvedPredicate?,
        in transaction: any StorageTransaction
    ) throws(DataStoreError) -> StorageChange {
        let model = try schema.decode(M.self, values)
        if outboxEnabled { try transaction.enqueue(outboxEntry(.delete, schema, identifier, values, condition)) }
        return StorageChange(
            modelName: schema.name,
            kind: .deleted,
            source: .local,
            identifier: identifier,
            values: values,
            model: model
        )
    }

    /// Deletes all data: models, outbox, sync metadata.
    func clear(_ schemas: [ModelSchema]) throws(DataStoreError) {
        let adapter = try openAdapter()
        try adapter.transaction { transaction throws(DataStoreError) in try transaction.deleteAllData(schemas) }
        hub.publish(.clear(Set(schemas.map(\.name))))
    }

    /// The pending outbox entries.
    func outboxEntries() throws(DataStoreError) -> [OutboxEntry] {
        try openAdapter().read { reader throws(DataStoreError) in try reader.outboxEntries() }
    }

    private func outboxEntry(
        _ kind: OutboxEntry.Kind,
        _ schema: ModelSchema,
        _ identifier: ModelIdentifier,
        _ values: [FieldValue],
        _ condition: ResolvedPredicate?
    ) -> OutboxEntry {
        var payload: [String: FieldValue] = [:]
        for (field, value) in zip(schema.fields, values) { payload[field.name] = value }
        return OutboxEntry(
            sequence: 0,
            modelName: schema.name,
            modelID: identifier.description,
            kind: kind,
            payload: FieldValue.object(payload).jsonText,
            condition: condition.map { $0.graphQLFilter(schema: schema).jsonText },
            enqueuedAt: now(),
            inFlight: false
        )
    }
}

extension ModelSchema {
    /// Decodes a model of type `M` from stored values.
    ///
    /// - Throws: ``DataStoreError/Code/decodingFailed`` naming the field.
    func decode<M: Model>(_ type: M.Type, _ values: [FieldValue]) throws(DataStoreError) -> M {
        do {
            return try M(fieldValues: FieldValues(values))
        } catch {
            throw decodingError(error)
        }
    }

    /// A decoding failure of a stored model, with the field named.
    func decodingError(_ error: FieldValueError) -> DataStoreError {
        var path = error.path
        if let first = path.first, first.hasPrefix("#"), let index = Int(first.dropFirst()), index < fields.count {
            path[0] = fields[index].name
        }
        return DataStoreError(
            code: .decodingFailed,
            message: "A stored \(name) cannot be decoded: \(error.reason). The store holds a value this "
                + "version of the model does not accept.",
            model: name,
            field: path.isEmpty ? nil : path.joined(separator: ".")
        )
    }
}
