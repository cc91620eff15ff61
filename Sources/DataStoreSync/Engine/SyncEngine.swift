import DataStore
import DataStoreAppSync

/// Runs sync: one task per run — sync queries for every model (parents first), then the outbox
/// until the run is stopped (ARCHITECTURE §7). `start`, `stop` and `clear` from any number of
/// tasks are serialized here.
actor SyncEngine {
    /// Where a run stands.
    enum State: Hashable, Sendable {
        case stopped
        case running
    }

    private let context: SyncContext
    private let outbox: Outbox
    private(set) var state = State.stopped
    private var run: Task<Void, Never>?

    init(context: SyncContext) {
        self.context = context
        outbox = Outbox(context: context, resolver: ConflictResolver(handler: context.configuration.conflictHandler))
    }

    /// Starts a run unless one is running.
    func start() {
        guard state == .stopped else { return }
        state = .running
        let (context, outbox) = (context, outbox)
        run = Task {
            let signal = WorkSignal()
            await context.store.engine.listenToOutbox(signal)
            await Self.syncAll(context)
            guard !Task.isCancelled else { return }
            context.events.yield(.ready)
            signal.notify()
            await outbox.run(signal)
        }
    }

    /// Ends the run and returns when its work has ended. Entries that were on the wire stay marked
    /// in flight (the backend may have applied them) and are sent again, unmerged, on the next
    /// start.
    func stop() async {
        guard state == .running, let run else { return }
        run.cancel()
        await run.value
        self.run = nil
        await context.store.engine.listenToOutbox(nil)
        state = .stopped
    }

    /// Lets a paused outbox send again.
    func resume() async {
        await outbox.resume()
    }

    // MARK: Sync queries

    /// Syncs every model, parents first.
    private static func syncAll(_ context: SyncContext) async {
        let schemas = SyncPlan.order(context.modelList.map(\.schema))
        context.events.yield(.syncQueriesStarted(models: schemas.map(\.name)))
        for schema in schemas {
            guard !Task.isCancelled, let model = context.models[schema.name] else { return }
            await sync(model, context)
        }
        guard !Task.isCancelled else { return }
        context.events.yield(.syncQueriesReady)
    }

    /// One model's base or delta sync, page by page; retried after failures that may pass, up to
    /// a few times, then reported (the model's `lastSync` stays where it was).
    private static func sync(_ model: SyncedModel, _ context: SyncContext) async {
        var random = SystemRandomNumberGenerator()
        var attempt = 0
        while !Task.isCancelled {
            do {
                try await syncOnce(model, context)
                return
            } catch let failure as SendFailure {
                guard case .retry(let retryAfter) = FailureClassifier.classify(failure), attempt < 5 else {
                    context.report(syncFailure(model, "\(failure)"))
                    return
                }
                let delay = context.configuration.retryPolicy.delay(
                    forAttempt: attempt,
                    retryAfter: retryAfter,
                    using: &random
                )
                attempt += 1
                do { try await context.clock.sleep(for: delay) } catch { return }
            } catch {
                context.report(syncFailure(model, "\(error)"))
                return
            }
        }
    }

    private static func syncFailure(_ model: SyncedModel, _ reason: String) -> SyncError {
        SyncError(
            kind: .syncFailed,
            modelName: model.schema.name,
            modelID: nil,
            message: "The sync query failed (\(reason)); it runs again from where it stood on the next start."
        )
    }

    private static func syncOnce(_ model: SyncedModel, _ context: SyncContext) async throws {
        let schema = model.schema
        let engine = context.store.engine
        let stored = try await engine.modelSyncState(schema.name)
        let filter = try context.configuration.syncExpressions.first { $0.modelName == schema.name }
            .map { try $0.predicate.graphQLFilter(for: schema) }
        let expressionHash = filter.map { SHA256.hexDigest($0.jsonText) }
        let query = SyncPlan.query(
            lastSync: stored.lastSync,
            lastFullSync: stored.lastFullSync,
            storedExpressionHash: stored.expressionHash,
            expressionHash: expressionHash,
            now: context.clock.millisecondsSince1970,
            fullSyncInterval: context.configuration.fullSyncInterval
        )
        let lastSync: Int64? = if case .delta(let lastSync) = query { lastSync } else { nil }
        let pageSize = max(1, context.configuration.syncPageSize)
        let maximum = max(1, context.configuration.maxRecordsToSync)
        var (nextToken, startedAt, read) = (String?.none, Int64?.none, 0)
        var counts = ReconcileCounts()
        var kept: Set<String> = []
        @Sendable func fetch(_ token: String?, limit: Int) async throws -> SyncPage {
            let request = model.documents.syncRequest(
                limit: limit,
                nextToken: token,
                lastSync: lastSync,
                filter: filter
            )
            return try SyncPage(response: try await context.transport.send(request), documents: model.documents)
        }
        // The next page is fetched while this one is applied: the backend's time and the store's
        // overlap. Pages are still applied in order, one transaction each.
        var upcoming: Task<SyncPage, any Error>? = Task { try await fetch(nil, limit: min(pageSize, maximum)) }
        defer { upcoming?.cancel() }
        repeat {
            try Task.checkCancellation()
            guard let fetching = upcoming else { break }
            let page = try await fetching.value
            // The first page's startedAt: what the backend had when this sync began.
            if startedAt == nil { startedAt = page.startedAt }
            let remaining = maximum - read - page.items.count
            if let token = page.nextToken, remaining > 0 {
                upcoming = Task { try await fetch(token, limit: min(pageSize, remaining)) }
            } else {
                upcoming = nil
            }
            let pageCounts = try await engine.reconcile(page.items.map(model.record), schema: schema)
            counts.created += pageCounts.created
            counts.updated += pageCounts.updated
            counts.deleted += pageCounts.deleted
            if lastSync == nil {
                for item in page.items where !item.isDeleted { kept.insert(schema.identifierText(of: item.values)) }
            }
            read += page.items.count
            nextToken = page.nextToken
        } while nextToken != nil && read < maximum
        // A capped sync leaves lastSync where it was: what it did not read must come next time.
        let complete = nextToken == nil
        var evicted = 0
        if complete, let startedAt {
            if lastSync == nil { evicted = try await engine.evict(schema, keeping: kept) }
            try await engine.setModelSyncState(
                ModelSyncState(
                    lastSync: startedAt,
                    lastFullSync: lastSync == nil ? startedAt : stored.lastFullSync,
                    expressionHash: expressionHash
                ),
                model: schema.name
            )
        }
        await engine.markSynced(schema.name)
        context.events.yield(
            .modelSynced(
                ModelSyncedEvent(
                    modelName: schema.name,
                    isFullSync: lastSync == nil,
                    created: counts.created,
                    updated: counts.updated,
                    deleted: counts.deleted,
                    evicted: evicted
                )
            )
        )
    }
}
