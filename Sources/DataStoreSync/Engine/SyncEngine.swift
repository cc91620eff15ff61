import DataStore
import DataStoreAppSync

/// Runs sync: one task per run, whose driver feeds every input — subscriptions up or down, a
/// round finished or due, the network lost or regained — to the run's ``SyncMachine`` and
/// carries out what it decides, in child tasks of the run (ARCHITECTURE §7). `start`, `stop`
/// and `clear` from any number of tasks are serialized here.
actor SyncEngine {
    private let context: SyncContext
    private let outbox: Outbox
    private let realtime: SubscriptionProcessor?
    private let monitor: ReachabilityMonitor
    /// The running run, if any (within it, ``SyncMachine`` says where it stands).
    private var run: Task<Void, Never>?

    init(context: SyncContext, monitor: ReachabilityMonitor, realtime: SubscriptionProcessor?) {
        self.context = context
        self.monitor = monitor
        self.realtime = realtime
        outbox = Outbox(context: context, resolver: ConflictResolver(handler: context.configuration.conflictHandler))
    }

    /// Starts a run unless one is running: subscriptions first (when the backend's real-time
    /// endpoint is known), then sync queries, then `ready`, the outbox and later sync rounds.
    func start() {
        guard run == nil else { return }
        let (context, outbox, realtime, monitor) = (context, outbox, realtime, monitor)
        run = Task {
            // Unbounded, and small all the same: each producer sends one input per step it
            // completes (a round, a connection, a change of reachability, a due time) and the
            // driver applies each at once, without waiting on anything.
            let (inputs, input) = AsyncStream.makeStream(of: SyncMachine.Input.self, bufferingPolicy: .unbounded)
            let signal = WorkSignal()
            // Rung by the inbox when live changes did not fit: a round must run.
            let overflow = WorkSignal()
            let inbox = RemoteInbox(context: context, resync: overflow)
            let schedule = RoundSchedule()
            await context.store.engine.listenToOutbox(signal)
            await withDiscardingTaskGroup { group in
                group.addTask { await inbox.run() }
                group.addTask { await monitor.run { input.yield(.network(isActive: $0)) } }
                group.addTask { for await _ in overflow.wakeUps { input.yield(.roundDue) } }
                group.addTask { await Self.keepTime(schedule, context) { input.yield(.roundDue) } }
                var machine = SyncMachine()
                input.yield(.start(subscribes: realtime != nil))
                for await next in inputs {
                    for effect in machine.handle(next) {
                        switch effect {
                        case .subscribe:
                            guard let realtime else { continue }
                            group.addTask {
                                await Self.keepSubscribed(realtime, inbox, context, monitor) { input.yield($0) }
                            }
                        case .syncRound:
                            group.addTask {
                                schedule.roundStarted(at: context.clock.millisecondsSince1970)
                                let due = await Self.syncAll(context, inbox)
                                schedule.next(at: due)
                                input.yield(.roundFinished)
                            }
                        case .announceReady:
                            context.events.yield(.ready)
                        case .startOutbox:
                            signal.notify()
                            group.addTask { await outbox.run(signal) }
                        case .retryNow:
                            context.networkBack.ring()
                        }
                    }
                }
                // Cancelled: the inputs ended, and the children end with the run.
            }
        }
    }

    /// Ends the run and returns when its work has ended. Entries that were on the wire stay marked
    /// in flight (the backend may have applied them) and are sent again, unmerged, on the next
    /// start.
    func stop() async {
        guard let run else { return }
        run.cancel()
        await run.value
        await context.store.engine.listenToOutbox(nil)
        // Cleared last: a start() called while the run ends does nothing (the run is not over),
        // and no new run's outbox listener is cleared by this stop.
        self.run = nil
    }

    /// Lets a paused outbox send again, at once: new credentials end every wait a refusal of the
    /// old ones may have started (the paused sends', the socket's, the sync queries').
    func resume() async {
        await outbox.resume()
        context.networkBack.ring()
    }

    // MARK: Subscriptions

    /// Keeps the real-time connection up until the run ends: after it drops, connects again
    /// after the back-off (or at once when the network comes back), and tells `notify` of every
    /// connection made or lost. What the socket finds feeds `monitor`.
    private static func keepSubscribed(
        _ realtime: SubscriptionProcessor,
        _ inbox: RemoteInbox,
        _ context: SyncContext,
        _ monitor: ReachabilityMonitor,
        notify: @escaping @Sendable (SyncMachine.Input) -> Void
    ) async {
        var random = SystemRandomNumberGenerator()
        var failures = 0
        while !Task.isCancelled {
            let generation = context.networkBack.generation
            // Whether this connection came up.
            let established = Locked(false)
            let ending = await realtime.run { notice in
                switch notice {
                case .established(let refused):
                    established.withLock { $0 = true }
                    monitor.record(reached: true)
                    for (model, reason) in refused.sorted(by: { $0.key < $1.key }) {
                        context.report(
                            SyncError(
                                kind: .subscriptionFailed,
                                modelName: model,
                                modelID: nil,
                                message: "The backend refused \(model)'s subscriptions (\(reason)); its changes "
                                    + "arrive with sync queries only."
                            )
                        )
                    }
                    context.events.yield(.subscriptionsEstablished(refused: refused.keys.sorted()))
                    notify(.subscribed)
                case .changed(let modelName, let item):
                    await inbox.receive(modelName, item)
                case .unreadable(let modelName, let reason):
                    context.report(
                        SyncError(
                            kind: .syncFailed,
                            modelName: modelName,
                            modelID: nil,
                            message: "A live change could not be read (\(reason)); the next sync brings it."
                        )
                    )
                }
            }
            if ending == .cancelled || Task.isCancelled { return }
            let wasEstablished = established.withLock { $0 }
            switch ending {
            case .keepAliveMissed: monitor.record(reached: false)
            case .closed where !wasEstablished: monitor.record(reached: false)
            case .refused: monitor.record(reached: true)
            default: break
            }
            notify(.unsubscribed)
            failures = wasEstablished ? 0 : failures + 1
            let delay = context.configuration.retryPolicy.delay(forAttempt: max(failures - 1, 0), using: &random)
            _ = await context.networkBack.sleep(for: delay, on: context.clock, since: generation)
        }
    }

    // MARK: Sync queries

    /// Asks for a round whenever the next one falls due (a base sync expiring, a failed sync's
    /// retry, the delta interval), until the run ends. Rounds begin at least
    /// ``minimumRoundGap`` apart this way, whatever the intervals say (an interval of zero
    /// would otherwise sync without pause).
    private static func keepTime(
        _ schedule: RoundSchedule,
        _ context: SyncContext,
        due notify: @escaping @Sendable () -> Void
    ) async {
        while !Task.isCancelled {
            guard let (due, lastStart) = schedule.pending else {
                await schedule.changed.wait()
                continue
            }
            let wait = max(due, lastStart + minimumRoundGap.milliseconds) - context.clock.millisecondsSince1970
            if wait > 0 {
                // Woken early when a round starts or ends: the time is read again.
                _ = await schedule.changed.sleep(for: .milliseconds(wait), on: context.clock)
                continue
            }
            if schedule.take(due) { notify() }
        }
    }

    /// The shortest time between the starts of two sync rounds of a running store.
    static let minimumRoundGap = Duration.seconds(1)

    /// Syncs every model, parents first, up to ``SyncConfiguration/modelsSyncedAtOnce`` at once;
    /// returns when the next sync falls due (on this device's clock).
    private static func syncAll(_ context: SyncContext, _ inbox: RemoteInbox) async -> Int64 {
        // Live changes that arrive meanwhile wait for the round's end.
        await inbox.beginSync()
        let due = await syncModels(context)
        await inbox.endSync()
        return due
    }

    private static func syncModels(_ context: SyncContext) async -> Int64 {
        let waves = SyncPlan.waves(context.modelList.map(\.schema))
        context.events.yield(.syncQueriesStarted(models: waves.flatMap { $0.map(\.name) }))
        let atOnce = max(1, context.configuration.modelsSyncedAtOnce)
        var due = Int64.max
        for wave in waves {
            let models = wave.compactMap { context.models[$0.name] }
            await withTaskGroup(of: Int64.self) { group in
                var started = 0
                for model in models {
                    if started >= atOnce, let next = await group.next() { due = min(due, next) }
                    group.addTask { await sync(model, context) }
                    started += 1
                }
                for await next in group { due = min(due, next) }
            }
            guard !Task.isCancelled else { return due }
        }
        context.events.yield(.syncQueriesReady)
        return due
    }

    /// One model's base or delta sync, page by page; retried after failures that may pass, up to
    /// a few times, then reported (the model's `lastSync` stays where it was). Returns when its
    /// next sync falls due.
    private static func sync(_ model: SyncedModel, _ context: SyncContext) async -> Int64 {
        let configuration = context.configuration
        let attemptedAt = context.clock.millisecondsSince1970
        func due(failed: Bool, lastFullSync: Int64?) -> Int64 {
            SyncPlan.nextSync(
                attemptedAt: attemptedAt,
                failed: failed,
                lastFullSync: lastFullSync,
                fullSyncInterval: configuration.fullSyncInterval,
                deltaSyncInterval: configuration.deltaSyncInterval,
                retryDelay: configuration.retryPolicy.maximumDelay
            )
        }
        var random = SystemRandomNumberGenerator()
        var attempt = 0
        while !Task.isCancelled {
            let generation = context.networkBack.generation
            do {
                return due(failed: false, lastFullSync: try await syncOnce(model, context))
            } catch let failure as SendFailure {
                guard case .retry(let retryAfter) = FailureClassifier.classify(failure), attempt < 5 else {
                    context.report(syncFailure(model, "\(failure)"))
                    return due(failed: true, lastFullSync: nil)
                }
                let delay = configuration.retryPolicy.delay(forAttempt: attempt, retryAfter: retryAfter, using: &random)
                attempt += 1
                // The network coming back ends the wait early.
                _ = await context.networkBack.sleep(for: delay, on: context.clock, since: generation)
                if Task.isCancelled { break }
            } catch {
                context.report(syncFailure(model, "\(error)"))
                return due(failed: true, lastFullSync: nil)
            }
        }
        return due(failed: true, lastFullSync: nil)
    }

    private static func syncFailure(_ model: SyncedModel, _ reason: String) -> SyncError {
        SyncError(
            kind: .syncFailed,
            modelName: model.schema.name,
            modelID: nil,
            message: "The sync query failed (\(reason)); it runs again from where it stood on the next start."
        )
    }

    /// One sync of one model; returns when its last complete base sync began (this device's
    /// clock), nil when it has none (a capped sync).
    private static func syncOnce(_ model: SyncedModel, _ context: SyncContext) async throws -> Int64? {
        let schema = model.schema
        let engine = context.store.engine
        let now = context.clock.millisecondsSince1970
        let stored = try await engine.modelSyncState(schema.name)
        let filter = try context.configuration.syncExpressions.first { $0.modelName == schema.name }
            .map { try $0.predicate.graphQLFilter(for: schema) }
        let expressionHash = filter.map { SHA256.hexDigest($0.jsonText) }
        let query = SyncPlan.query(
            lastSync: stored.lastSync,
            lastFullSync: stored.lastFullSync,
            storedExpressionHash: stored.expressionHash,
            expressionHash: expressionHash,
            now: now,
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
            return try SyncPage(
                response: try await context.send(request, for: model, .sync),
                documents: model.documents
            )
        }
        // The next page is fetched while this one is applied: the backend's time and the store's
        // overlap. Pages are still applied in order, one transaction each; the group holds at
        // most the one fetch ahead.
        try await withThrowingTaskGroup(of: SyncPage.self) { group in
            group.addTask { try await fetch(nil, limit: min(pageSize, maximum)) }
            while let page = try await group.next() {
                // The first page's startedAt: what the backend had when this sync began.
                if startedAt == nil { startedAt = page.startedAt }
                let remaining = maximum - read - page.items.count
                if let token = page.nextToken, remaining > 0 {
                    group.addTask { try await fetch(token, limit: min(pageSize, remaining)) }
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
                try Task.checkCancellation()
            }
        }
        // A capped sync leaves lastSync where it was: what it did not read must come next time.
        let complete = nextToken == nil
        var evicted = 0
        var lastFullSync = stored.lastFullSync
        if complete, let startedAt {
            if lastSync == nil {
                evicted = try await engine.evict(schema, keeping: kept, changedBefore: startedAt)
                lastFullSync = now
            }
            try await engine.setModelSyncState(
                ModelSyncState(lastSync: startedAt, lastFullSync: lastFullSync, expressionHash: expressionHash),
                model: schema.name
            )
        } else if lastSync == nil {
            lastFullSync = nil
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
        return lastFullSync
    }
}

/// When the next timed sync round falls due: set by each round as it ends, read by the run's
/// timer, which the doorbell wakes whenever it changes.
final class RoundSchedule: Sendable {
    private let state = Locked<(due: Int64?, lastStart: Int64)>((nil, 0))
    /// Rung on every change.
    let changed = Doorbell()

    /// A round started at `time` (ms on the store's clock): no timed round is due before it ends.
    func roundStarted(at time: Int64) {
        state.withLock { $0 = (nil, time) }
        changed.ring()
    }

    /// The next round falls due at `time`.
    func next(at time: Int64) {
        state.withLock { $0.due = time }
        changed.ring()
    }

    /// The due time and the last round's start, when a round is due at all.
    var pending: (due: Int64, lastStart: Int64)? {
        state.withLock { state in state.due.map { ($0, state.lastStart) } }
    }

    /// Clears `due` if it is still the one pending; false when it changed meanwhile.
    func take(_ due: Int64) -> Bool {
        state.withLock { state in
            guard state.due == due else { return false }
            state.due = nil
            return true
        }
    }
}
