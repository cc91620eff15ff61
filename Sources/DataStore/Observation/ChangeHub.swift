/// Delivers committed changes to observers.
///
/// The storage engine publishes each commit's batch synchronously, on its serial executor, right
/// after the commit, so observers see batches in commit order. Subscribers do only cheap, non-
/// blocking work in `deliver` (yield to a bounded stream, append to a bounded list).
final class ChangeHub: Sendable {
    struct Subscriber: Sendable {
        /// The models whose changes the subscriber wants.
        let modelNames: Set<String>
        /// A predicate across relations on changes of `modelName`: the engine evaluates it inside
        /// the writing transaction (it reads other rows) and records the result on each change.
        let relationFilter: RelationFilter?
        let deliver: @Sendable (ChangeBatch) -> Void
        /// Ends the subscriber's sequence: normally when the store closes.
        let finish: @Sendable () -> Void

        init(
            modelNames: Set<String>,
            relationFilter: RelationFilter? = nil,
            deliver: @escaping @Sendable (ChangeBatch) -> Void,
            finish: @escaping @Sendable () -> Void
        ) {
            self.modelNames = modelNames
            self.relationFilter = relationFilter
            self.deliver = deliver
            self.finish = finish
        }
    }

    /// A subscriber's predicate that reads related rows.
    struct RelationFilter: Sendable {
        let modelName: String
        let predicate: ResolvedPredicate
    }

    private struct State {
        var nextID: UInt64 = 0
        var subscribers: [UInt64: Subscriber] = [:]
        var isFinished = false
    }

    private let state = Locked(State())

    /// Registers a subscriber; returns nil (and finishes it) when the hub has already finished.
    func subscribe(_ subscriber: Subscriber) -> UInt64? {
        let id: UInt64? = state.withLock { state in
            guard !state.isFinished else { return nil }
            state.nextID += 1
            state.subscribers[state.nextID] = subscriber
            return state.nextID
        }
        if id == nil { subscriber.finish() }
        return id
    }

    func unsubscribe(_ id: UInt64) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: id) }
    }

    /// Whether anyone observes `modelName`.
    func hasSubscribers(for modelName: String) -> Bool {
        state.withLock { state in state.subscribers.values.contains { $0.modelNames.contains(modelName) } }
    }

    /// The relation filters of the current subscribers to changes of `modelName`, by subscriber.
    func relationFilters(for modelName: String) -> [(id: UInt64, predicate: ResolvedPredicate)] {
        state.withLock { state in
            state.subscribers.compactMap { id, subscriber in
                guard let filter = subscriber.relationFilter, filter.modelName == modelName else { return nil }
                return (id, filter.predicate)
            }
        }
    }

    /// Whether any subscriber has a relation filter on changes of `modelName`.
    func hasRelationFilters(for modelName: String) -> Bool {
        state.withLock { state in state.subscribers.values.contains { $0.relationFilter?.modelName == modelName } }
    }

    /// The models whose first sync finished since the store opened (or was last cleared).
    private let synced = Locked<Set<String>>([])

    /// Whether `modelName`'s first sync finished.
    func isSynced(_ modelName: String) -> Bool {
        synced.withLock { $0.contains(modelName) }
    }

    /// Records that `modelName` finished a sync; its snapshots say so from then on.
    func markSynced(_ modelName: String) {
        guard synced.withLock({ $0.insert(modelName).inserted }) else { return }
        publish(.synced(modelName))
    }

    /// Forgets every model's sync (the store was cleared).
    func resetSynced() {
        synced.withLock { $0.removeAll() }
    }

    /// The number of live subscribers (for tests that check nothing is left behind).
    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    func publish(_ batch: ChangeBatch) {
        let subscribers = state.withLock { state in Array(state.subscribers.values) }
        for subscriber in subscribers where !subscriber.modelNames.isDisjoint(with: batch.modelNames) {
            subscriber.deliver(batch)
        }
    }

    /// Ends every subscriber's sequence and refuses new subscribers.
    func finish() {
        let subscribers = state.withLock { state in
            state.isFinished = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
