/// Owns the storage adapter and performs every write.
///
/// The actor runs on its own serial executor (a dedicated thread), so SQLite's blocking calls never
/// occupy Swift's cooperative thread pool. A write runs its whole transaction without suspending
/// and publishes the commit's changes before returning, so the order of change events is the
/// commit order.
package actor StorageEngine {
    private let executor: StorageExecutor
    package nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    /// Finishes when the engine's thread has ended.
    nonisolated var executorThreadExit: AsyncStream<Void> { executor.threadExit }

    let hub: ChangeHub
    let models: RegisteredModels
    /// What the models the engine decodes load their relations through.
    let context: RelationContext
    private var adapter: (any StorageAdapter)?
    /// Whether writes also enqueue outbox mutations (sync enabled).
    let outboxEnabled: Bool
    /// What sync refuses to enqueue, checked before a save's transaction.
    let outboxCheck: OutboxValueCheck?
    let clock: any WallClock
    /// Woken after every commit that adds to the outbox, while a sync run listens.
    var outboxListener: WorkSignal?
    /// Remote copies of records that arrived while the record had a pending write, by
    /// ``recordKey(_:_:)``, newest only: applied when that write settles with an older answer
    /// (it was on the wire, and the backend applied it first). Kept in memory: after a restart,
    /// a write sent again over an old version meets the backend's conflict path, which answers
    /// with the newest copy.
    var deferredRemote: [String: RemoteRecord] = [:]
    /// Runs at the end of every sync transaction, before it commits: a seam for tests.
    var syncTransactionWillCommit: (@Sendable () -> Void)?

    /// Reads that may bypass the engine; set once the storage is open.
    private(set) var concurrentReader: (any ConcurrentStorageReader)?

    init(
        hub: ChangeHub,
        models: RegisteredModels,
        context: RelationContext,
        outboxEnabled: Bool,
        outboxCheck: OutboxValueCheck? = nil,
        clock: any WallClock
    ) {
        executor = StorageExecutor(label: "swift-datastore.storage")
        self.hub = hub
        self.models = models
        self.context = context
        self.outboxEnabled = outboxEnabled
        self.outboxCheck = outboxCheck
        self.clock = clock
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

    func openAdapter() throws(DataStoreError) -> any StorageAdapter {
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

    /// Saves models of one type in one transaction. With a condition, each model must exist and
    /// satisfy it.
    ///
    /// After the writes and before the commit, every required reference of every saved model must
    /// point at a stored model (so a batch may contain parents and their children in any order),
    /// and observers' relation filters are evaluated against the new state.
    func save(_ saves: [PendingSave], schema: ModelSchema, condition: ResolvedPredicate?) throws(DataStoreError) {
        let adapter = try openAdapter()
        let entry = try registered(schema)
        if Task.isCancelled { throw .cancelled() }
        if saves.count > 1 { try Self.checkDistinctIdentifiers(saves, schema) }
        try checkOutboxValues(saves, schema)
        let filters = hub.relationFilters(for: schema.name)
        var (kinds, matches) = try adapter.transaction { transaction throws(DataStoreError) in
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
                    try enqueue(
                        outboxEntry(kind == .created ? .create : .update, schema, identifier, save.values, condition),
                        in: transaction
                    )
                }
                kinds.append(kind)
            }
            if !entry.requiredReferences.isEmpty {
                try Self.checkRequiredReferences(entry, saves.lazy.map(\.values), in: transaction)
            }
            var matches: [[UInt64: Bool]] = []
            if !filters.isEmpty {
                for save in saves { matches.append(try Self.evaluate(filters, save.values, in: transaction)) }
            }
            return (kinds, matches)
        }
        // The commit is published here, on the engine's executor and before any later write. Events
        // cost allocations, so they are built only when someone is listening at this point.
        if outboxEnabled { outboxListener?.notify() }
        guard hub.hasSubscribers(for: schema.name) else { return }
        // Relation filters of observers that came during the transaction: evaluated now, before
        // any later write, so they read exactly the committed state.
        let evaluated = Set(filters.map(\.id))
        let late = hub.relationFilters(for: schema.name).filter { !evaluated.contains($0.id) }
        if !late.isEmpty {
            if matches.isEmpty { matches = Array(repeating: [:], count: saves.count) }
            for (position, results) in evaluateCommitted(late, saves.map(\.values)).enumerated() {
                matches[position].merge(results) { first, _ in first }
            }
        }
        var changes: [StorageChange] = []
        changes.reserveCapacity(saves.count)
        for (position, (save, kind)) in zip(saves, kinds).enumerated() {
            changes.append(
                StorageChange(
                    modelName: schema.name,
                    kind: kind,
                    source: .local,
                    identifier: ModelIdentifier(of: save.values, in: schema),
                    values: save.values,
                    model: save.model,
                    relationMatches: matches.isEmpty ? [:] : matches[position]
                )
            )
        }
        hub.publish(ChangeBatch(changes: changes))
    }

    /// Deletes the model with `identifier` and, through cascading relations, its children; with a
    /// condition, the model must exist and satisfy it. Returns the deleted model, or nil when there
    /// was none.
    func delete<M: Model>(
        _ type: M.Type,
        schema: ModelSchema,
        identifier: ModelIdentifier,
        condition: ResolvedPredicate?
    ) throws(DataStoreError) -> M? {
        let adapter = try openAdapter()
        let entry = try registered(schema)
        if Task.isCancelled { throw .cancelled() }
        let changes: [StorageChange] = try adapter.transaction { transaction throws(DataStoreError) in
            if let condition {
                try requireCondition(condition, in: transaction, schema, identifier, operation: "delete")
            }
            if entry.cascades.isEmpty, !hub.hasRelationFilters(for: schema.name) {
                guard let values = try transaction.delete(schema, identifier) else { return [] }
                return [try recordDeletion(entry, values, identifier, condition, in: transaction)]
            }
            guard let values = try transaction.fetchOne(schema, identifier) else { return [] }
            return try deleteWithCascade(entry, [values], rootCondition: condition, in: transaction)
        }
        guard let root = changes.last else { return nil }
        if outboxEnabled { outboxListener?.notify() }
        hub.publish(ChangeBatch(changes: changes))
        return root.model as? M
    }

    /// Deletes every model matching `predicate`, and their children, in one transaction; returns
    /// the models that matched.
    func delete<M: Model>(
        _ type: M.Type,
        schema: ModelSchema,
        matching predicate: ResolvedPredicate
    )
        throws(DataStoreError) -> [M]
    {
        let adapter = try openAdapter()
        let entry = try registered(schema)
        if Task.isCancelled { throw .cancelled() }
        let (changes, matched) = try adapter.transaction { transaction throws(DataStoreError) in
            if entry.cascades.isEmpty, !hub.hasRelationFilters(for: schema.name) {
                var changes: [StorageChange] = []
                for values in try transaction.delete(schema, predicate) {
                    let identifier = ModelIdentifier(of: values, in: schema)
                    changes.append(try recordDeletion(entry, values, identifier, nil, in: transaction))
                }
                return (changes, changes.map(\.identifier))
            }
            var roots: [[FieldValue]] = []
            try transaction.fetch(schema, FetchRequest(predicate: predicate)) { roots.append($0) }
            let changes = try deleteWithCascade(entry, roots, rootCondition: nil, in: transaction)
            return (changes, roots.map { ModelIdentifier(of: $0, in: schema) })
        }
        if !changes.isEmpty {
            if outboxEnabled { outboxListener?.notify() }
            hub.publish(ChangeBatch(changes: changes))
        }
        // The models that matched, in the order they matched (cascaded rows of the same model are
        // deleted too, but were not asked for).
        var deleted: [ModelIdentifier: M] = [:]
        for change in changes where change.modelName == schema.name {
            if let model = change.model as? M { deleted[change.identifier] = model }
        }
        return matched.compactMap { deleted[$0] }
    }

    /// Deletes `roots` (rows of `entry`'s model) and everything their cascading relations reach,
    /// children before parents, and returns a deletion change for each row in that order. Relation
    /// filters see the rows as they were before any of them was deleted.
    private func deleteWithCascade(
        _ entry: RegisteredModels.Entry,
        _ roots: [[FieldValue]],
        rootCondition: ResolvedPredicate?,
        in transaction: any StorageTransaction
    ) throws(DataStoreError) -> [StorageChange] {
        let plan = try CascadePlan(roots: roots, of: entry, models: models, reading: transaction)
        var filtersByModel: [String: [(id: UInt64, predicate: ResolvedPredicate)]] = [:]
        var matches: [[UInt64: Bool]] = []
        matches.reserveCapacity(plan.rows.count)
        for row in plan.rows {
            let name = row.entry.schema.name
            if filtersByModel[name] == nil { filtersByModel[name] = hub.relationFilters(for: name) }
            let filters = filtersByModel[name]!
            matches.append(filters.isEmpty ? [:] : try Self.evaluate(filters, row.values, in: transaction))
        }
        var changes: [StorageChange] = []
        changes.reserveCapacity(plan.rows.count)
        for (row, rowMatches) in zip(plan.rows, matches) {
            guard let values = try transaction.delete(row.entry.schema, row.identifier) else { continue }
            var change = try recordDeletion(
                row.entry,
                values,
                row.identifier,
                row.isRoot ? rootCondition : nil,
                in: transaction
            )
            change.relationMatches = rowMatches
            changes.append(change)
        }
        return changes
    }

    /// The registration of `schema`'s model.
    func registered(_ schema: ModelSchema) throws(DataStoreError) -> RegisteredModels.Entry {
        guard let entry = models.entry(named: schema.name) else { throw .modelNotRegistered(schema.name) }
        return entry
    }

    /// Throws when two models of one batch have the same identifier: which of them should win is
    /// not clear, and the batch is refused whole.
    private static func checkDistinctIdentifiers(_ saves: [PendingSave], _ schema: ModelSchema) throws(DataStoreError) {
        var seen: Set<ModelIdentifier> = []
        seen.reserveCapacity(saves.count)
        for save in saves {
            let identifier = ModelIdentifier(of: save.values, in: schema)
            guard seen.insert(identifier).inserted else {
                throw DataStoreError(
                    code: .duplicateIdentifier,
                    message: "The batch contains two \(schema.name) models with the identifier \(identifier) "
                        + "(\(schema.primaryKey.joined(separator: ", "))); nothing was saved. Save each model once.",
                    model: schema.name,
                    field: schema.primaryKey.joined(separator: ",")
                )
            }
        }
    }

    /// Throws unless every required reference of the saved rows points at a stored model.
    private static func checkRequiredReferences(
        _ entry: RegisteredModels.Entry,
        _ rows: some Sequence<[FieldValue]>,
        in transaction: any StorageTransaction
    ) throws(DataStoreError) {
        for join in entry.requiredReferences {
            var found: Set<[FieldValue]> = []
            for values in rows {
                guard let key = join.localKey(values) else {
                    throw DataStoreError(
                        code: .relatedModelMissing,
                        message: "A \(join.source.name) requires its \(join.relation.name) (a \(join.target.name)), "
                            + "but its key "
                            + join.localIndices.map { join.source.fields[$0].name }.joined(separator: ", ")
                            + " is null. Set it to a stored \(join.target.name)'s key; nothing was saved.",
                        model: join.source.name,
                        field: join.relation.name
                    )
                }
                guard !found.contains(key) else { continue }
                let exists: Bool
                if join.targetsPrimaryKey {
                    exists = try transaction.fetchOne(join.target, ModelIdentifier(key)) != nil
                } else {
                    exists = try transaction.exists(join.target, join.targetPredicate(forKey: key))
                }
                guard exists else {
                    throw DataStoreError(
                        code: .relatedModelMissing,
                        message: "A \(join.source.name) requires its \(join.relation.name), but no \(join.target.name) "
                            + "with key \(ModelIdentifier(key)) is stored. Save the \(join.target.name) first; nothing "
                            + "was saved.",
                        model: join.source.name,
                        field: join.relation.name
                    )
                }
                found.insert(key)
            }
        }
    }

    /// The results of relation filters on a row, reading related rows in the transaction.
    /// Evaluates relation filters against rows just committed, in one read, right after the
    /// commit on the engine's executor (no later write comes between); a row whose filters cannot
    /// be read gets no results (its change is then not delivered to those observers).
    func evaluateCommitted(
        _ filters: [(id: UInt64, predicate: ResolvedPredicate)],
        _ rows: [[FieldValue]]
    ) -> [[UInt64: Bool]] {
        let results = try? openAdapter().read { reader throws(DataStoreError) in
            var results: [[UInt64: Bool]] = []
            for values in rows { results.append(try Self.evaluate(filters, values, in: reader)) }
            return results
        }
        return results ?? rows.map { _ in [:] }
    }

    static func evaluate(
        _ filters: [(id: UInt64, predicate: ResolvedPredicate)],
        _ values: [FieldValue],
        in transaction: any StorageReading
    ) throws(DataStoreError) -> [UInt64: Bool] {
        var results: [UInt64: Bool] = [:]
        for filter in filters { results[filter.id] = try filter.predicate.evaluate(values, reading: transaction) }
        return results
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
    private func recordDeletion(
        _ entry: RegisteredModels.Entry,
        _ values: [FieldValue],
        _ identifier: ModelIdentifier,
        _ condition: ResolvedPredicate?,
        in transaction: any StorageTransaction
    ) throws(DataStoreError) -> StorageChange {
        let schema = entry.schema
        let model = try schema.decode(entry.type, values, context: context)
        if outboxEnabled { try enqueue(outboxEntry(.delete, schema, identifier, values, condition), in: transaction) }
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
        deferredRemote = [:]
        hub.resetSynced()
        hub.publish(.clear(Set(schemas.map(\.name))))
    }
}
