import DataStore
import DataStoreAppSync

/// Sends the store's outbox to the backend (ARCHITECTURE §7).
///
/// Entries of one record go strictly one after another; entries of different records go
/// concurrently, up to ``SyncConfiguration/mutationsInFlight``. Every answer, good or bad, is
/// settled in the store in one transaction: applied, retried after a back-off, paused, handed
/// to the ``ConflictResolver``, restored from the backend, or moved to the dead letters. No
/// entry is ever dropped without one of these.
actor Outbox {
    private let context: SyncContext
    private let resolver: ConflictResolver
    private let settler: SettleQueue
    /// The records with an entry claimed (waiting in `ready` or on the wire), by "model/id".
    private var sending: Set<String> = []
    /// Entries claimed and not yet sent, oldest first: a dispatch claims up to a second round of
    /// sends at once, so that most sends start without a visit to the store.
    private var ready: [StorageEngine.Claim] = []
    /// How many sends are on the wire.
    private var onTheWire = 0
    /// When an entry may be sent again after a failure, in milliseconds since 1970.
    private var notBefore: [Int64: Int64] = [:]
    /// Failures so far per entry (the back-off's exponent).
    private var failures: [Int64: Int] = [:]
    /// Conflicts so far per entry.
    private var conflicts: [Int64: Int] = [:]
    /// The newest entry already reported as enqueued.
    private var lastReported: Int64 = 0
    private var lastReportedEmpty: Bool?
    /// Why sending is paused (credentials refused), if it is.
    private var pausedBecause: String?
    private var random = SystemRandomNumberGenerator()
    /// The running loop's wake-up, while one runs.
    private var signal: WorkSignal?

    init(context: SyncContext, resolver: ConflictResolver) {
        self.context = context
        self.resolver = resolver
        settler = SettleQueue(engine: context.store.engine, recentlySettled: context.recentlySettled)
    }

    /// Sends entries as they come until the task is cancelled; `signal` wakes it (the store rings
    /// it on every write; finished sends and back-off timers ring it too).
    func run(_ signal: WorkSignal) async {
        self.signal = signal
        // Every run tells whether the outbox is empty once, at its first look.
        lastReportedEmpty = nil
        defer {
            // Claimed and never sent: the store keeps them marked in flight, and the next run
            // claims them again.
            for claim in ready { sending.remove(Self.record(claim.entry)) }
            ready = []
            self.signal = nil
        }
        await withDiscardingTaskGroup { group in
            for await _ in signal.wakeUps {
                guard !Task.isCancelled else { break }
                await dispatch(into: &group, signal)
            }
        }
    }

    /// Forgets an entry's back-off: the network came back while it waited.
    private func retryNow(_ sequence: Int64) {
        notBefore[sequence] = nil
        failures[sequence] = nil
    }

    /// Lets a paused outbox send again (new credentials), at once.
    func resume() {
        guard pausedBecause != nil else { return }
        pausedBecause = nil
        signal?.notify()
    }

    /// Starts sending what can be sent now: claims entries when none is ready (up to two rounds
    /// of sends, counting those on the wire), then starts ready ones while there are free slots.
    private func dispatch(into group: inout DiscardingTaskGroup, _ signal: WorkSignal) async {
        let concurrency = max(1, context.configuration.mutationsInFlight)
        guard pausedBecause == nil else {
            // Nothing is sent, but new entries are still reported.
            await claim(upTo: 0)
            return
        }
        if ready.isEmpty {
            await claim(upTo: 2 * concurrency - sending.count)
        }
        while onTheWire < concurrency, !ready.isEmpty {
            let claim = ready.removeFirst()
            let entry = claim.entry
            let record = Self.record(entry)
            onTheWire += 1
            group.addTask { [self] in
                let generation = context.networkBack.generation
                let outcome = await self.send(claim)
                // A failed entry waits here, in the run's task tree: stopping the run ends the wait,
                // and the network coming back (since the send began) ends it early.
                if let wait = await self.finish(entry, record: record, outcome) {
                    let waited = await context.networkBack.sleep(for: wait, on: context.clock, since: generation)
                    if Task.isCancelled { return }
                    if !waited { await self.retryNow(entry.sequence) }
                    if case .pause = outcome { await self.resume() }
                }
                signal.notify()
            }
        }
    }

    /// Claims up to `slots` more entries, adding them to `ready`.
    private func claim(upTo slots: Int) async {
        let (busy, waiting, now) = (sending, notBefore, context.clock.millisecondsSince1970)
        let result: (window: [OutboxEntry], claims: [StorageEngine.Claim])
        do {
            // A window of the oldest entries (enough to fill every slot, and the same cost per
            // claim however long the outbox is), and the chosen ones claimed as they are now, in
            // one transaction: from then on the backend may have them, so later writes of their
            // records are entries of their own (across failures and restarts too).
            result = try await context.store.engine.claimNext(window: Self.window(context.configuration)) { entries in
                Self.choose(from: entries, sending: busy, notBefore: waiting, now: now, slots: slots)
            }
        } catch {
            return
        }
        report(result.window)
        for claim in result.claims {
            sending.insert(Self.record(claim.entry))
            ready.append(claim)
        }
    }

    /// Reports entries not reported before, and whether the outbox is empty when that changes.
    private func report(_ entries: [OutboxEntry]) {
        for entry in entries where entry.sequence > lastReported {
            context.events.yield(.outboxMutationEnqueued(Self.event(entry)))
        }
        lastReported = max(lastReported, entries.map(\.sequence).max() ?? 0)
        if lastReportedEmpty != entries.isEmpty {
            lastReportedEmpty = entries.isEmpty
            context.events.yield(.outboxStatus(isEmpty: entries.isEmpty))
        }
    }

    /// The record an entry writes, as the sender tells records apart.
    static func record(_ entry: OutboxEntry) -> String {
        "\(entry.modelName)/\(entry.modelID)"
    }

    /// The entries to send now, oldest first: the oldest entry of each record, unless something of
    /// the record is on the wire (`sending`) or the entry waits for a back-off (`notBefore`), up to
    /// `slots`.
    static func choose(
        from entries: [OutboxEntry],
        sending: Set<String>,
        notBefore: [Int64: Int64],
        now: Int64,
        slots: Int
    ) -> [Int64] {
        var chosen: [Int64] = []
        var seen: Set<String> = []
        for entry in entries where chosen.count < slots {
            let record = record(entry)
            guard seen.insert(record).inserted, !sending.contains(record) else { continue }
            if let time = notBefore[entry.sequence], time > now { continue }
            chosen.append(entry.sequence)
        }
        return chosen
    }

    /// How many of the oldest entries a claim looks at (the records claimed, up to two rounds of
    /// sends, and room for records with several entries).
    static func window(_ configuration: SyncConfiguration) -> Int {
        max(32, 4 * max(1, configuration.mutationsInFlight))
    }

    static func event(_ entry: OutboxEntry) -> OutboxMutationEvent {
        OutboxMutationEvent(modelName: entry.modelName, modelID: entry.modelID, kind: entry.kind)
    }

    /// What became of one send.
    enum Outcome: Sendable {
        /// Settled in the store: the entry is gone (applied, restored, dead-lettered or dropped).
        case settled
        /// Send again after the back-off (`retryAfter`: at least this long).
        case retry(retryAfter: Duration?)
        /// Send again at once (a conflict resolved by sending the local or a new version).
        case again
        /// Stop sending until credentials change.
        case pause(String)
    }

    /// Records what became of a send; returns how long to wait before looking again, for an
    /// entry that must wait (a back-off, or a pause).
    private func finish(_ entry: OutboxEntry, record: String, _ outcome: Outcome) -> Duration? {
        sending.remove(record)
        onTheWire -= 1
        switch outcome {
        case .settled:
            notBefore[entry.sequence] = nil
            failures[entry.sequence] = nil
            conflicts[entry.sequence] = nil
            return nil
        case .again:
            notBefore[entry.sequence] = nil
            return nil
        case .retry(let retryAfter):
            let attempt = failures[entry.sequence, default: 0]
            failures[entry.sequence] = attempt + 1
            let delay = context.configuration.retryPolicy.delay(
                forAttempt: attempt,
                retryAfter: retryAfter,
                using: &random
            )
            notBefore[entry.sequence] = context.clock.millisecondsSince1970 + delay.milliseconds
            return delay
        case .pause(let reason):
            if pausedBecause == nil {
                context.report(SyncError(kind: .unauthorized, modelName: nil, modelID: nil, message: reason))
            }
            pausedBecause = reason
            // Credentials may change without a word (a token provider's next token): look again
            // after the longest back-off, or at once on new credentials (``resume()``).
            return context.configuration.retryPolicy.maximumDelay
        }
    }

    /// How many conflicts this entry met, counting this one.
    private func conflictAttempt(_ sequence: Int64) -> Int {
        let attempt = conflicts[sequence, default: 0] + 1
        conflicts[sequence] = attempt
        return attempt
    }

    // MARK: Sending

    /// Sends one entry and settles its answer.
    private nonisolated func send(_ claim: StorageEngine.Claim) async -> Outcome {
        let entry = claim.entry
        guard let model = context.models[entry.modelName] else {
            return await deadLetter(entry, "\(entry.modelName) is not a model of this store")
        }
        let values: [String: FieldValue]
        do {
            guard case .object(let object) = try FieldValue(jsonText: entry.payload) else {
                return await deadLetter(entry, "the stored mutation is not a JSON object")
            }
            values = object
        } catch {
            return await deadLetter(entry, "the stored mutation cannot be read: \(error)")
        }
        // What the backend holds decides the operation: a record it knows (even as a tombstone) is
        // updated; one it does not is created; a delete of a record it never had has nothing to do.
        let kind: MutationKind
        switch (entry.kind, claim.remote) {
        case (.delete, nil):
            return await settle(entry, model, remote: nil, sent: nil, version: nil)
        case (.delete, _): kind = .deleted
        case (_, nil): kind = .created
        case (_, _?): kind = .updated
        }
        let condition = entry.condition.flatMap { try? FieldValue(jsonText: $0) }
        let version = kind == .created ? nil : claim.version
        guard
            let request = model.documents.mutationRequest(kind, values: values, version: version, condition: condition)
        else {
            return await deadLetter(entry, "the backend offers no \(kind) mutation for \(entry.modelName)")
        }
        let response: GraphQLResponse
        do {
            response = try await context.send(request, for: model, Self.operation(kind))
        } catch {
            return await failed(entry, model, kind, values, version, FailureClassifier.classify(error))
        }
        do {
            let item = try model.documents.mutationResult(kind, response)
            let outcome = await settle(
                entry,
                model,
                remote: item,
                sent: kind == .deleted ? nil : values,
                version: version
            )
            context.events.yield(.outboxMutationProcessed(Self.event(entry)))
            return outcome
        } catch {
            let failure: SendFailure =
                switch error {
                case .service(let errors): .errors(errors)
                case .malformed(let problem): .malformed("\(problem)")
                }
            return await failed(entry, model, kind, values, version, FailureClassifier.classify(failure))
        }
    }

    /// The operation a mutation of `kind` is, as `@auth` rules name it.
    static func operation(_ kind: MutationKind) -> ModelAuthRule.Operation {
        switch kind {
        case .created: .create
        case .updated: .update
        case .deleted: .delete
        }
    }

    /// Acts on a failure's class.
    private nonisolated func failed(
        _ entry: OutboxEntry,
        _ model: SyncedModel,
        _ kind: MutationKind,
        _ values: [String: FieldValue],
        _ version: Int?,
        _ failure: FailureClass
    ) async -> Outcome {
        switch failure {
        case .retry(let retryAfter):
            return .retry(retryAfter: retryAfter)
        case .pause(let reason):
            return .pause(reason)
        case .fatal(let reason):
            return await deadLetter(entry, reason)
        case .conditionFailed(let message):
            // The backend's copy, to compare with (a create of ours whose answer was lost) or
            // to restore.
            let remote: RemoteItem?
            do {
                remote = try await context.fetch(model, key: values)
            } catch {
                return .retry(retryAfter: nil)
            }
            if kind == .created, let remote, !remote.isDeleted, model.schema.holds(values, in: remote.values) {
                // Our own create, answered before: done.
                let outcome = await settle(entry, model, remote: remote, sent: values, version: nil)
                context.events.yield(.outboxMutationProcessed(Self.event(entry)))
                return outcome
            }
            let outcome = await settle(entry, model, remote: remote, sent: nil, version: version)
            context.report(
                SyncError(
                    kind: .conditionFailed,
                    modelName: entry.modelName,
                    modelID: entry.modelID,
                    message:
                        "The backend refused the \(entry.kind.rawValue) (\(message)); its copy was restored locally."
                )
            )
            return outcome
        case .conflict(let data):
            let remote: RemoteItem
            do {
                guard let data else { throw AppSyncDecodingError("The conflict carries no server copy.", at: "data") }
                remote = try RemoteItem(decoding: data, schema: model.schema, path: "errors[0].data")
            } catch {
                // No usable copy in the error: read it.
                guard let fetched = try? await context.fetch(model, key: values) else { return .retry(retryAfter: nil) }
                remote = fetched
            }
            let attempt = await conflictAttempt(entry.sequence)
            return await resolveConflict(entry, model, kind, values, remote, attempt)
        }
    }

    private nonisolated func resolveConflict(
        _ entry: OutboxEntry,
        _ model: SyncedModel,
        _ kind: MutationKind,
        _ values: [String: FieldValue],
        _ remote: RemoteItem,
        _ attempt: Int
    ) async -> Outcome {
        if remote.isDeleted {
            // Deleted on the backend: a local delete is done; a local update loses (PROTOCOL §4.5).
            let outcome = await settle(entry, model, remote: remote, sent: nil, version: nil)
            if kind != .deleted {
                context.report(
                    SyncError(
                        kind: .conflictSettled,
                        modelName: entry.modelName,
                        modelID: entry.modelID,
                        message: "The backend had deleted the record this \(entry.kind.rawValue) changed; it was "
                            + "deleted locally too."
                    )
                )
            }
            return outcome
        }
        guard attempt <= context.configuration.maximumConflictAttempts else {
            let outcome = await settle(entry, model, remote: remote, sent: nil, version: nil)
            context.report(
                SyncError(
                    kind: .conflictSettled,
                    modelName: entry.modelName,
                    modelID: entry.modelID,
                    message: "The mutation met a conflict \(attempt - 1) times; the backend's copy was applied."
                )
            )
            return outcome
        }
        let resolution = await resolver.resolve(entry, model, local: values, remote: remote, attempt: attempt)
        switch resolution {
        case .applyRemote:
            return await settle(entry, model, remote: remote, sent: nil, version: nil)
        case .discard:
            do {
                try await context.store.engine.discard(entry, remote: model.record(remote))
                return .settled
            } catch {
                return .retry(retryAfter: nil)
            }
        case .retryLocal, .retry:
            var replacement: [String: FieldValue]?
            if case .retry(let other) = resolution {
                guard type(of: other).schema.name == model.schema.name else {
                    return await deadLetter(entry, "the conflict handler answered with a model of another type")
                }
                replacement = Dictionary(
                    uniqueKeysWithValues: zip(model.schema.fields.map(\.name), other.fieldValues)
                )
            }
            do {
                try await context.store.engine.rebase(entry, over: model.record(remote).state, payload: replacement)
                return .again
            } catch {
                return .retry(retryAfter: nil)
            }
        }
    }

    private nonisolated func settle(
        _ entry: OutboxEntry,
        _ model: SyncedModel,
        remote: RemoteItem?,
        sent: [String: FieldValue]?,
        version: Int?
    ) async -> Outcome {
        let settlement = StorageEngine.Settlement(
            entry: entry,
            schema: model.schema,
            remote: remote.map(model.record),
            sent: sent,
            sentVersion: version
        )
        return await settler.settle(settlement) ? .settled : .retry(retryAfter: nil)
    }

    private nonisolated func deadLetter(_ entry: OutboxEntry, _ reason: String) async -> Outcome {
        do {
            try await context.store.engine.deadLetter(entry, reason: reason)
        } catch {
            return .retry(retryAfter: nil)
        }
        context.events.yield(.outboxMutationFailed(Self.event(entry), reason: reason))
        context.report(
            SyncError(kind: .mutationFailed, modelName: entry.modelName, modelID: entry.modelID, message: reason)
        )
        return .settled
    }
}
