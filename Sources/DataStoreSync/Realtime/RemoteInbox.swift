import DataStore
import DataStoreAppSync

/// Where changes from subscriptions go: a bounded queue that ``run()`` applies in batches (a
/// transaction per model for what arrived together), through the same reconcile rule as sync
/// pages, so that the socket is read on however slow the store is. While sync queries run, the
/// queue is held and applied after them, so that a sync's pages and the live changes meet in a
/// defined order. A change that does not fit is not lost: the inbox rings `resync`, and a sync
/// round brings it.
actor RemoteInbox {
    private let context: SyncContext
    private let limit: Int
    private let resync: WorkSignal
    /// The sync expressions, by model: live changes outside them are not stored (a subscription
    /// carries every change of the model).
    private let expressions: [String: PredicateEvaluator]
    private var syncing = 0
    private var queue: [(modelName: String, item: RemoteItem)] = []
    private var overflowed = false
    private let work = WorkSignal()

    init(context: SyncContext, resync: WorkSignal, limit: Int = 10_000) {
        self.context = context
        self.resync = resync
        self.limit = limit
        var expressions: [String: PredicateEvaluator] = [:]
        for expression in context.configuration.syncExpressions {
            // One the model's schema refuses fails its sync queries, which report it.
            if let model = context.models[expression.modelName],
                let evaluator = try? PredicateEvaluator(expression.predicate, schema: model.schema)
            {
                expressions[expression.modelName] = evaluator
            }
        }
        self.expressions = expressions
    }

    /// A change from a subscription. A change outside the model's sync expression is left out,
    /// as the sync query leaves it out (a record that leaves the expression stays until the next
    /// base sync evicts it); a deletion always applies.
    func receive(_ modelName: String, _ item: RemoteItem) {
        if !item.isDeleted, let expression = expressions[modelName], !expression.matches(item.values) { return }
        // The echo of a write of this store, already settled at this version: nothing to do.
        if let model = context.models[modelName],
            context.recentlySettled.contains(
                model: modelName,
                id: model.schema.identifierText(of: item.values),
                version: item.version
            )
        {
            return
        }
        guard queue.count < limit else {
            overflowed = true
            return
        }
        queue.append((modelName, item))
        if syncing == 0 { work.notify() }
    }

    /// Sync queries start: the queue is held from now on.
    func beginSync() {
        syncing += 1
    }

    /// Sync queries ended: what was held is applied next.
    func endSync() {
        syncing -= 1
        if syncing == 0 { work.notify() }
    }

    /// Applies the queue as it fills, while no sync query runs, until the task is cancelled.
    func run() async {
        for await _ in work.wakeUps {
            while syncing == 0, !queue.isEmpty {
                let batch = queue
                queue = []
                await apply(batch)
            }
            if syncing == 0, queue.isEmpty, overflowed {
                overflowed = false
                resync.notify()
            }
        }
    }

    /// Applies changes, a transaction per model, in the order they came.
    private func apply(_ changes: [(modelName: String, item: RemoteItem)]) async {
        var order: [String] = []
        var byModel: [String: [RemoteItem]] = [:]
        for change in changes {
            if byModel[change.modelName] == nil { order.append(change.modelName) }
            byModel[change.modelName, default: []].append(change.item)
        }
        for name in order {
            guard let model = context.models[name], let items = byModel[name] else { continue }
            do {
                _ = try await context.store.engine.reconcile(items.map(model.record), schema: model.schema)
            } catch {
                // The store refused the write (full, closed): the next delta sync brings them.
                context.report(
                    SyncError(
                        kind: .syncFailed,
                        modelName: name,
                        modelID: nil,
                        message: "Live changes could not be stored (\(error)); the next sync brings them."
                    )
                )
            }
        }
    }
}

/// The versions the outbox just settled, so that the echoes of the store's own mutations, which
/// the backend sends to every subscriber, are known without a visit to the store: a bounded
/// memory of the latest `capacity` settled (model, record, version) triples.
final class RecentlySettled: Sendable {
    private struct Key: Hashable {
        let model: String
        let id: String
        let version: Int
    }

    private let capacity: Int
    private let state = Locked<(keys: Set<Key>, order: [Key], next: Int)>(([], [], 0))

    init(capacity: Int = 4_096) {
        self.capacity = max(1, capacity)
    }

    /// Remembers that the backend holds `version` of the record, as this store settled it.
    func add(model: String, id: String, version: Int) {
        let key = Key(model: model, id: id, version: version)
        state.withLock { state in
            guard state.keys.insert(key).inserted else { return }
            if state.order.count < capacity {
                state.order.append(key)
            } else {
                // The oldest goes: a ring over `order`.
                state.keys.remove(state.order[state.next])
                state.order[state.next] = key
                state.next = (state.next + 1) % capacity
            }
        }
    }

    /// Whether this store settled exactly this version of the record lately.
    func contains(model: String, id: String, version: Int) -> Bool {
        state.withLock { $0.keys.contains(Key(model: model, id: id, version: version)) }
    }
}
