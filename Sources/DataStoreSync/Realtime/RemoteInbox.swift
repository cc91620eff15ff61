import DataStore
import DataStoreAppSync

/// Where changes from subscriptions go: into the store at once, through the same reconcile rule
/// as sync pages, except while sync queries run — then they are held (up to `limit`) and applied
/// after them, so that a sync's pages and the live changes meet in a defined order. A change that
/// does not fit is not lost: the inbox says it overflowed, and the engine runs another delta sync.
actor RemoteInbox {
    private let context: SyncContext
    private let limit: Int
    /// The sync expressions, by model: live changes outside them are not stored (a subscription
    /// carries every change of the model).
    private let expressions: [String: PredicateEvaluator]
    private var syncing = 0
    private var held: [(modelName: String, item: RemoteItem)] = []
    private var overflowed = false

    init(context: SyncContext, limit: Int = 10_000) {
        self.context = context
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
    func receive(_ modelName: String, _ item: RemoteItem) async {
        if !item.isDeleted, let expression = expressions[modelName], !expression.matches(item.values) { return }
        guard syncing == 0 else {
            if held.count < limit { held.append((modelName, item)) } else { overflowed = true }
            return
        }
        await apply([(modelName, item)])
    }

    /// Sync queries start: changes are held from now on.
    func beginSync() {
        syncing += 1
    }

    /// Sync queries ended: what was held is applied. Returns whether changes were dropped for
    /// want of room (then a delta sync must bring them).
    func endSync() async -> Bool {
        syncing -= 1
        guard syncing == 0 else { return false }
        let changes = held
        held = []
        let dropped = overflowed
        overflowed = false
        await apply(changes)
        return dropped
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
