/// The result of a query at one moment, as delivered by ``DataStore/observeQuery(_:where:sort:)``.
public struct QuerySnapshot<M: Model>: Sendable {
    /// The matching models, in the query's sort order.
    public let items: [M]
    /// Whether sync has finished a sync query of `M` since the store opened (or was cleared).
    /// Always false without sync.
    public let isSynced: Bool
}

/// Live snapshots of a query, as returned by ``DataStore/observeQuery(_:where:sort:)``.
///
/// The first snapshot is the query's current result; after that, a fresh snapshot follows each
/// commit that changes the result. A consumer that is slower than the writes skips intermediate
/// snapshots and always receives the newest one. Iterate it once.
public struct QuerySnapshots<M: Model>: AsyncSequence, Sendable {
    /// The elements the sequence produces.
    public typealias Element = QuerySnapshot<M>
    /// The error iteration throws.
    public typealias Failure = DataStoreError

    private let store: DataStore
    private let setup: Result<Setup, DataStoreError>

    struct Setup: Sendable {
        let schema: ModelSchema
        let request: FetchRequest
        let inbox: SnapshotInbox
    }

    init(store: DataStore, setup: Result<Setup, DataStoreError>) {
        self.store = store
        self.setup = setup
    }

    /// An iterator over the sequence.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(store: store, setup: setup)
    }

    /// Iterates the snapshots.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let store: DataStore
        private var setup: Result<Setup, DataStoreError>?
        private var signals: AsyncStream<Void>.Iterator?
        private var snapshot: SnapshotState?

        init(store: DataStore, setup: Result<Setup, DataStoreError>) {
            self.store = store
            self.setup = setup
            if case .success(let setup) = setup { signals = setup.inbox.signal.wakeUps.makeAsyncIterator() }
        }

        /// The next element; nil once the sequence ends.
        public mutating func next() async throws(DataStoreError) -> QuerySnapshot<M>? {
            try await next(isolation: nil)
        }

        /// The next element, on the caller's actor; nil once the sequence ends.
        public mutating func next(
            isolation actor: isolated (any Actor)?
        ) async throws(DataStoreError)
            -> QuerySnapshot<M>?
        {
            guard let current = setup else { return nil }
            let setup: Setup
            switch current {
            case .failure(let error):
                self.setup = nil
                throw error
            case .success(let value):
                setup = value
            }
            do {
                if snapshot == nil {
                    snapshot = try await initialState(setup, isolation: actor)
                    return snapshot!.makeSnapshot(isSynced: store.hub.isSynced(setup.schema.name))
                }
                while true {
                    guard await signals?.next(isolation: actor) != nil else {
                        finish()
                        return nil
                    }
                    if try await applyPending(setup, isolation: actor) {
                        return snapshot!.makeSnapshot(isSynced: store.hub.isSynced(setup.schema.name))
                    }
                }
            } catch {
                finish()
                throw error
            }
        }

        private mutating func finish() {
            setup = nil
            signals = nil
            snapshot = nil
        }

        private func initialState(
            _ setup: Setup,
            isolation actor: isolated (any Actor)?
        ) async throws(DataStoreError)
            -> SnapshotState
        {
            // Changes committed from now on are in the inbox; applying one that the query already
            // reflects is harmless, because each change carries the model's full state.
            _ = setup.inbox.take()
            var state = try await SnapshotState.loading(setup.schema, setup.request, from: store)
            for batch in setup.inbox.take().batches { state.apply(batch) }
            return state
        }

        /// Applies what arrived since the last snapshot; returns whether the result changed.
        private mutating func applyPending(
            _ setup: Setup,
            isolation actor: isolated (any Actor)?
        )
            async throws(DataStoreError) -> Bool
        {
            let pending = setup.inbox.take()
            // A predicate across relations can change its result when only related models change,
            // so such a query runs again after each commit that touches any model it reads.
            if pending.overflowed || (setup.request.predicate.usesRelations && !pending.batches.isEmpty) {
                snapshot = try await SnapshotState.loading(setup.schema, setup.request, from: store)
                for batch in setup.inbox.take().batches { snapshot!.apply(batch) }
                return true
            }
            var changed = false
            for batch in pending.batches where snapshot!.apply(batch) { changed = true }
            return changed
        }
    }

    /// The sorted result and how to keep it current.
    struct SnapshotState: Sendable {
        let schema: ModelSchema
        let request: FetchRequest
        let sortKeys: [MemorySort.Key]
        private(set) var rows: [SnapshotRow] = []
        private var current: [ModelIdentifier: [FieldValue]] = [:]

        init(schema: ModelSchema, request: FetchRequest, rows: [SnapshotRow]) {
            self.schema = schema
            self.request = request
            let keys = MemorySort.keys(request.sort, schema: schema)
            sortKeys = keys
            self.rows = rows.sorted { MemorySort.precedes($0.values, $1.values, keys: keys) }
            current = Dictionary(
                self.rows.map { (ModelIdentifier(of: $0.values, in: schema), $0.values) },
                uniquingKeysWith: { _, last in last }
            )
        }

        func makeSnapshot(isSynced: Bool) -> QuerySnapshot<M> {
            QuerySnapshot(items: rows.map(\.model), isSynced: isSynced)
        }

        /// Runs the query and sorts its result with the same order ``apply(_:)`` maintains.
        static func loading(
            _ schema: ModelSchema,
            _ request: FetchRequest,
            from store: DataStore
        )
            async throws(DataStoreError) -> SnapshotState
        {
            let loaded = try await store.read { reader throws(DataStoreError) in
                var rows: [SnapshotRow] = []
                try reader.fetch(schema, request) { values throws(DataStoreError) in
                    rows.append(
                        SnapshotRow(values: values, model: try schema.decode(M.self, values, context: request.context))
                    )
                }
                return rows
            }
            return SnapshotState(schema: schema, request: request, rows: loaded)
        }

        /// Applies a commit; returns whether the result changed.
        @discardableResult
        mutating func apply(_ batch: ChangeBatch) -> Bool {
            // The model's first sync finished: the same items, now synced.
            if batch.isSyncMark { return true }
            if batch.isClear {
                let changed = !rows.isEmpty
                rows = []
                current = [:]
                return changed
            }
            var changed = false
            for change in batch.changes where change.modelName == schema.name {
                if let old = current.removeValue(forKey: change.identifier) {
                    remove(old, identifier: change.identifier)
                    changed = true
                }
                guard change.kind != .deleted, request.predicate.evaluate(change.values) else { continue }
                let model: M
                if schema.relations.isEmpty, let typed = change.model as? M {
                    model = typed
                } else if let decoded = try? schema.decode(M.self, change.values, context: request.context) {
                    model = decoded
                } else {
                    continue
                }
                rows.insert(SnapshotRow(values: change.values, model: model), at: insertionIndex(change.values))
                current[change.identifier] = change.values
                changed = true
            }
            return changed
        }

        private func insertionIndex(_ values: [FieldValue]) -> Int {
            var low = 0
            var high = rows.count
            while low < high {
                let middle = (low + high) / 2
                if MemorySort.precedes(rows[middle].values, values, keys: sortKeys) {
                    low = middle + 1
                } else {
                    high = middle
                }
            }
            return low
        }

        private mutating func remove(_ values: [FieldValue], identifier: ModelIdentifier) {
            // The order is total (the primary key breaks ties), so the row sits exactly where its
            // values sort.
            let index = insertionIndex(values)
            if index < rows.count, ModelIdentifier(of: rows[index].values, in: schema) == identifier {
                rows.remove(at: index)
            } else if let index = rows.firstIndex(where: { ModelIdentifier(of: $0.values, in: schema) == identifier }) {
                rows.remove(at: index)
            }
        }
    }

    struct SnapshotRow: Sendable {
        let values: [FieldValue]
        let model: M
    }
}

/// Commits waiting for a snapshot observer, bounded: past the limit the list is dropped and the
/// observer re-runs its query instead, so nothing is lost and memory stays bounded.
///
/// The hub holds the inbox weakly; the inbox unsubscribes when the sequence and its iterator are
/// gone, or when the iterating task is cancelled.
final class SnapshotInbox: Sendable {
    struct Pending {
        var batches: [ChangeBatch] = []
        var overflowed = false
    }

    private let pending = Locked(Pending())
    private let limit: Int
    /// Wakes the consumer when batches arrived (or the hub finished).
    let signal = WorkSignal()
    private let hub: ChangeHub
    private let subscription = Locked<UInt64?>(nil)

    init(limit: Int, hub: ChangeHub, modelNames: Set<String>) {
        self.limit = limit
        self.hub = hub
        let subscriber = ChangeHub.Subscriber(
            modelNames: modelNames,
            deliver: { [weak self] batch in self?.deliver(batch) },
            finish: { [weak self] in self?.finish() }
        )
        guard let id = hub.subscribe(subscriber) else {
            signal.finish()
            return
        }
        subscription.withLock { $0 = id }
        signal.onTermination { [weak self] in self?.unsubscribe() }
    }

    deinit {
        unsubscribe()
    }

    private func unsubscribe() {
        if let id = subscription.withLock({ id in
            defer { id = nil }
            return id
        }) {
            hub.unsubscribe(id)
        }
    }

    func deliver(_ batch: ChangeBatch) {
        pending.withLock { pending in
            guard !pending.overflowed else { return }
            if pending.batches.count >= limit {
                pending.batches = []
                pending.overflowed = true
            } else {
                pending.batches.append(batch)
            }
        }
        signal.notify()
    }

    func take() -> Pending {
        pending.withLock { pending in
            defer { pending = Pending() }
            return pending
        }
    }

    func finish() {
        signal.finish()
    }
}

extension DataStore {
    /// Live snapshots of a query: the current result first, then a fresh snapshot after each
    /// commit that changes it.
    ///
    /// ```swift
    /// for try await snapshot in store.observeQuery(Post.self, where: \.rating > 4, sort: .descending(\.rating)) {
    ///     render(snapshot.items)
    /// }
    /// ```
    ///
    /// Snapshots honour the predicate and the sort (without a sort, models are ordered by primary
    /// key). A slow consumer skips intermediate snapshots and gets the newest. ``clear()`` produces
    /// an empty snapshot. With a predicate across relations, the query runs again after each
    /// commit that changes a model it reads, since a change to a related model alone can change
    /// the result.
    public func observeQuery<M: Model>(
        _ type: M.Type,
        where predicate: QueryPredicate<M> = .all,
        sort: QuerySort<M>? = nil
    ) -> QuerySnapshots<M> {
        do {
            let schema = try models.entry(for: M.self).schema
            let request = try fetchRequest(schema, predicate.predicate, sort: sort?.keys ?? [], page: nil)
            let inbox = SnapshotInbox(
                limit: max(1, configuration.observerBufferLimit),
                hub: hub,
                modelNames: request.predicate.relatedModelNames.union([schema.name])
            )
            return QuerySnapshots(store: self, setup: .success(.init(schema: schema, request: request, inbox: inbox)))
        } catch {
            return QuerySnapshots(store: self, setup: .failure(error))
        }
    }
}
