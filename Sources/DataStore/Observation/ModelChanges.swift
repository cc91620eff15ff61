/// The changes to models of type `M`, as returned by ``DataStore/observe(_:where:)``.
///
/// Iterate it once. Events arrive in commit order, each exactly once. The sequence ends when the
/// store closes or the iterating task is cancelled, and throws
/// ``DataStoreError/Code/observerOverflow`` if the consumer falls more than
/// ``DataStore/Configuration/observerBufferLimit`` commits behind: memory stays bounded, and a
/// slow consumer is told rather than silently losing events.
public struct ModelChanges<M: Model>: AsyncSequence, Sendable {
    /// The elements the sequence produces.
    public typealias Element = MutationEvent<M>
    /// The error iteration throws.
    public typealias Failure = DataStoreError

    private let stream: AsyncThrowingStream<ChangeBatch, any Error>?
    private let filter: ChangeFilter?
    private let failure: DataStoreError?

    init(stream: AsyncThrowingStream<ChangeBatch, any Error>, filter: ChangeFilter) {
        self.stream = stream
        self.filter = filter
        failure = nil
    }

    init(failure: DataStoreError) {
        stream = nil
        filter = nil
        self.failure = failure
    }

    /// An iterator over the sequence.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream?.makeAsyncIterator(), filter: filter, failure: failure)
    }

    /// Iterates the changes.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private var base: AsyncThrowingStream<ChangeBatch, any Error>.Iterator?
        private let filter: ChangeFilter?
        private var failure: DataStoreError?
        private var pending: [StorageChange] = []
        private var pendingIndex = 0

        init(
            base: AsyncThrowingStream<ChangeBatch, any Error>.Iterator?,
            filter: ChangeFilter?,
            failure: DataStoreError?
        ) {
            self.base = base
            self.filter = filter
            self.failure = failure
        }

        /// The next element; nil once the sequence ends.
        public mutating func next() async throws(DataStoreError) -> MutationEvent<M>? {
            try await next(isolation: nil)
        }

        /// The next element, on the caller's actor; nil once the sequence ends.
        public mutating func next(
            isolation actor: isolated (any Actor)?
        ) async throws(DataStoreError)
            -> MutationEvent<M>?
        {
            if let failure {
                self.failure = nil
                base = nil
                throw failure
            }
            guard let filter else { return nil }
            while true {
                while pendingIndex < pending.count {
                    let change = pending[pendingIndex]
                    pendingIndex += 1
                    guard filter.matches(change) else { continue }
                    let model: M
                    if !filter.attaches, let typed = change.model as? M {
                        model = typed
                    } else {
                        // Models with relations are delivered attached to the store.
                        model = try filter.schema.decode(M.self, change.values, context: filter.context)
                    }
                    return MutationEvent(kind: change.kind, model: model, source: change.source)
                }
                guard base != nil else { return nil }
                let batch: ChangeBatch?
                do {
                    batch = try await base!.next(isolation: actor)
                } catch {
                    base = nil
                    throw (error as? DataStoreError) ?? .cancelled()
                }
                guard let batch else {
                    base = nil
                    return nil
                }
                pending = batch.changes
                pendingIndex = 0
            }
        }
    }
}

/// Which changes an observer wants.
struct ChangeFilter: Sendable {
    let schema: ModelSchema
    let predicate: ResolvedPredicate
    let identifier: ModelIdentifier?
    /// What delivered models load their relations through.
    let context: RelationContext
    /// The observer's subscription, whose relation filter results the engine records on changes.
    var subscriberID: UInt64 = 0

    /// Whether delivered models are decoded with ``context`` (the model has relations).
    var attaches: Bool { !schema.relations.isEmpty }

    func matches(_ change: StorageChange) -> Bool {
        guard change.modelName == schema.name else { return false }
        if let identifier, change.identifier != identifier { return false }
        if predicate.usesRelations {
            // Evaluated by the engine inside the writing transaction, or right after its commit
            // for an observer that subscribed during it. A change without a result was committed
            // before this observer subscribed.
            return change.relationMatches[subscriberID] ?? false
        }
        return predicate.evaluate(change.values)
    }
}

extension DataStore {
    /// The changes to models of type `M` that match `predicate`, as they are committed.
    ///
    /// ```swift
    /// for try await change in store.observe(Post.self, where: \.rating > 4) {
    ///     print(change.kind, change.model.title, change.source)
    /// }
    /// ```
    ///
    /// Observation starts when this method returns: every later commit is delivered, in commit
    /// order, exactly once. An update that makes a model stop matching is not delivered; a deletion
    /// is delivered when the deleted model matched. ``clear()`` delivers no events.
    ///
    /// A predicate across relations (`Comment.post.matching(\\.rating > 4)`) is evaluated as of
    /// each commit: for a save, against the stored state after the write; for a deletion, against
    /// the state just before it. Changes to the related models alone produce no events.
    ///
    /// Errors (an unregistered model, a predicate on an unknown field) are thrown by the first
    /// iteration.
    public func observe<M: Model>(_ type: M.Type, where predicate: QueryPredicate<M> = .all) -> ModelChanges<M> {
        do {
            let schema = try models.entry(for: M.self).schema
            let resolved = try predicate.predicate.resolve(against: schema, models: models)
            return subscribe(
                ChangeFilter(schema: schema, predicate: resolved, identifier: nil, context: relationContext)
            )
        } catch {
            return ModelChanges(failure: error)
        }
    }

    /// The changes to the model of type `M` whose `id` is `id`.
    public func observe<M: Model>(_ type: M.Type, byID id: String) -> ModelChanges<M> {
        do {
            let schema = try models.entry(for: M.self).schema
            let identifier = try singleIDIdentifier(schema, id)
            return subscribe(
                ChangeFilter(
                    schema: schema,
                    predicate: .constant(true),
                    identifier: identifier,
                    context: relationContext
                )
            )
        } catch {
            return ModelChanges(failure: error)
        }
    }

    /// The changes to the model of type `M` with the identifier `identifier`.
    public func observe<M: Model>(_ type: M.Type, byIdentifier identifier: ModelKey<M>) -> ModelChanges<M> {
        do {
            let schema = try models.entry(for: M.self).schema
            let resolved = try identifier.resolve(against: schema)
            return subscribe(
                ChangeFilter(schema: schema, predicate: .constant(true), identifier: resolved, context: relationContext)
            )
        } catch {
            return ModelChanges(failure: error)
        }
    }

    private func subscribe<M: Model>(_ filter: ChangeFilter) -> ModelChanges<M> {
        let limit = max(1, configuration.observerBufferLimit)
        let (stream, continuation) = AsyncThrowingStream<ChangeBatch, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(limit)
        )
        let modelName = filter.schema.name
        let subscriber = ChangeHub.Subscriber(
            modelNames: [modelName],
            relationFilter: filter.predicate.usesRelations
                ? ChangeHub.RelationFilter(modelName: modelName, predicate: filter.predicate) : nil,
            deliver: { batch in
                if case .dropped = continuation.yield(batch) {
                    continuation.finish(
                        throwing: DataStoreError(
                            code: .observerOverflow,
                            message: "The observer of \(modelName) fell more than \(limit) commits behind, so later "
                                + "changes were not delivered. Observe again (and query to catch up), consume faster, "
                                + "or raise Configuration.observerBufferLimit.",
                            model: modelName
                        )
                    )
                }
            },
            finish: { continuation.finish() }
        )
        guard let id = hub.subscribe(subscriber) else { return ModelChanges(failure: .storeClosed()) }
        let hub = self.hub
        continuation.onTermination = { _ in hub.unsubscribe(id) }
        var filter = filter
        filter.subscriberID = id
        return ModelChanges(stream: stream, filter: filter)
    }
}
