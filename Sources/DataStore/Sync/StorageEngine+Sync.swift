/// The storage side of sync (ARCHITECTURE §7): applying what the backend sent, settling sent
/// mutations, dead letters and per-model sync state. Each call is one transaction on the
/// storage executor, and publishes its changes (source `.remote`) before it returns.
extension StorageEngine {
    private func syncTransaction<T>(
        _ body: (any SyncStorageTransaction) throws(DataStoreError) -> T
    ) throws(DataStoreError) -> T {
        try openAdapter().transaction { transaction throws(DataStoreError) in
            guard let sync = transaction as? any SyncStorageTransaction else { throw .syncUnavailable() }
            let result = try body(sync)
            syncTransactionWillCommit?()
            return result
        }
    }

    /// Sets what runs at the end of every sync transaction, before it commits (tests: an observer
    /// that subscribes just then).
    package func onSyncTransactionCommit(_ hook: (@Sendable () -> Void)?) {
        syncTransactionWillCommit = hook
    }

    /// The key of a record in ``deferredRemote``.
    static func recordKey(_ model: String, _ modelID: String) -> String {
        "\(model)/\(modelID)"
    }

    /// Listens for outbox work: `signal` is woken after every commit that adds to the outbox
    /// (nil stops listening).
    package func listenToOutbox(_ signal: WorkSignal?) {
        outboxListener = signal
    }

    /// Reads the oldest `window` outbox entries and claims those `choose` picks from them, in
    /// one transaction (an entry claimed is marked in flight: later writes of its record are
    /// entries of their own), returning them as they are now: the sender's one visit to the store per dispatch.
    package func claimNext(
        window: Int,
        choose: @Sendable ([OutboxEntry]) -> [Int64]
    ) throws(DataStoreError) -> (window: [OutboxEntry], claims: [Claim]) {
        try syncTransaction { transaction throws(DataStoreError) in
            let entries = try transaction.outboxEntries(limit: window)
            var claims: [Claim] = []
            for sequence in choose(entries) {
                guard var entry = entries.first(where: { $0.sequence == sequence }) else { continue }
                if !entry.inFlight { try transaction.setOutboxInFlight([sequence], true) }
                entry.inFlight = true
                let remote = try transaction.remoteState(model: entry.modelName, modelID: entry.modelID)
                claims.append(
                    Claim(
                        entry: entry,
                        remote: remote,
                        version: try transaction.outboxVersion(sequence) ?? remote?.version
                    )
                )
            }
            return (entries, claims)
        }
    }

    /// An outbox entry claimed for sending, with what the backend is known to hold for its
    /// record and the version to send it with.
    package struct Claim: Sendable {
        package let entry: OutboxEntry
        package let remote: RemoteRecordState?
        /// The entry's own version when a merge on the server made it keep an older one, else the
        /// record's.
        package let version: Int?
    }

    /// Settles a sent mutation: removes its entry and records what the backend now holds.
    ///
    /// When the record has no other pending entry, the backend's copy becomes the local one (the
    /// backend may have merged other writers' fields, or stamped timestamps). When it has, the
    /// local values stay (they are still to be sent) and those entries are sent with the new
    /// version only if the backend stored exactly what was sent; otherwise they keep `sentVersion`,
    /// so that they meet the conflict path instead of overwriting what the backend merged in.
    ///
    /// - Parameters:
    ///   - remote: The backend's copy after the mutation (nil when it is not known).
    ///   - sent: The values the mutation sent (nil for a delete); compared with `remote`.
    ///   - sentVersion: The version the mutation was sent with.
    package func settle(
        _ entry: OutboxEntry,
        schema: ModelSchema,
        remote: RemoteRecord?,
        sent: [String: FieldValue]?,
        sentVersion: Int?
    ) throws(DataStoreError) {
        try settle([Settlement(entry: entry, schema: schema, remote: remote, sent: sent, sentVersion: sentVersion)])
    }

    /// Settles sent mutations (of different records) in one transaction, each as
    /// ``settle(_:schema:remote:sent:sentVersion:)`` does: one commit for the answers that arrived
    /// together.
    package func settle(_ settlements: [Settlement]) throws(DataStoreError) {
        var models: [String: RegisteredModels.Entry] = [:]
        for settlement in settlements where models[settlement.schema.name] == nil {
            models[settlement.schema.name] = try registered(settlement.schema)
        }
        var unobserved: [(AppliedRecord, RegisteredModels.Entry)] = []
        let changes = try syncTransaction { transaction throws(DataStoreError) -> [StorageChange] in
            var changes: [StorageChange] = []
            for settlement in settlements {
                guard let model = models[settlement.schema.name],
                    let applied = try settle(settlement, model, in: transaction)
                else { continue }
                if let change = applied.change {
                    changes.append(change)
                } else {
                    unobserved.append((applied.record, model))
                }
            }
            return changes
        }
        publishRemote(changes + unobserved.flatMap { lateChanges([$0.0], $0.1) })
    }

    /// What a sent mutation settles to: the entry, the backend's copy after it, and what it sent.
    package struct Settlement: Sendable {
        package let entry: OutboxEntry
        package let schema: ModelSchema
        /// The backend's copy after the mutation (nil when it is not known).
        package let remote: RemoteRecord?
        /// The values the mutation sent (nil for a delete).
        package let sent: [String: FieldValue]?
        /// The version the mutation was sent with.
        package let sentVersion: Int?

        package init(
            entry: OutboxEntry,
            schema: ModelSchema,
            remote: RemoteRecord?,
            sent: [String: FieldValue]?,
            sentVersion: Int?
        ) {
            self.entry = entry
            self.schema = schema
            self.remote = remote
            self.sent = sent
            self.sentVersion = sentVersion
        }
    }

    private func settle(
        _ settlement: Settlement,
        _ model: RegisteredModels.Entry,
        in transaction: any SyncStorageTransaction
    ) throws(DataStoreError) -> (change: StorageChange?, record: AppliedRecord)? {
        let entry = settlement.entry
        try transaction.removeOutboxEntry(entry.sequence)
        guard var remote = settlement.remote else { return nil }
        guard try !transaction.hasOutboxEntry(model: entry.modelName, modelID: entry.modelID) else {
            try transaction.setRemoteState(remote.state, model: entry.modelName, modelID: entry.modelID)
            let matches = settlement.sent.map { model.schema.holds($0, in: remote.values) } ?? true
            let version = matches ? nil : (settlement.sentVersion ?? remote.state.version)
            try transaction.setOutboxVersion(version, model: entry.modelName, modelID: entry.modelID)
            return nil
        }
        // A newer copy that arrived while this write was on the wire (put aside by reconcile)
        // wins over the answer: the backend applied this write before that one.
        if let waiting = deferredRemote.removeValue(forKey: Self.recordKey(entry.modelName, entry.modelID)),
            waiting.state.version > remote.state.version
        {
            remote = waiting
        }
        try transaction.setRemoteState(remote.state, model: entry.modelName, modelID: entry.modelID)
        let observed = hub.hasSubscribers(for: model.schema.name)
        return try apply(remote, of: model, in: transaction, isNew: false, observed: observed).map {
            ($0.change, $0.record)
        }
    }

    /// Drops a mutation after a conflict and keeps the local copy as it is: the backend's version
    /// becomes the known one, so later writes go over it.
    package func discard(_ entry: OutboxEntry, remote: RemoteRecord) throws(DataStoreError) {
        try syncTransaction { transaction throws(DataStoreError) in
            try transaction.removeOutboxEntry(entry.sequence)
            try transaction.setRemoteState(remote.state, model: entry.modelName, modelID: entry.modelID)
            try transaction.setOutboxVersion(nil, model: entry.modelName, modelID: entry.modelID)
        }
    }

    /// Prepares a mutation that met a conflict to be sent again over the backend's version
    /// `remote`, with `payload` instead of its own values when given (the conflict handler's model).
    package func rebase(
        _ entry: OutboxEntry,
        over remote: RemoteRecordState,
        payload: [String: FieldValue]?
    ) throws(DataStoreError) {
        try syncTransaction { transaction throws(DataStoreError) in
            try transaction.setRemoteState(remote, model: entry.modelName, modelID: entry.modelID)
            try transaction.setOutboxVersion(nil, model: entry.modelName, modelID: entry.modelID)
            if let payload {
                var replaced = entry
                replaced.payload = FieldValue.object(payload).jsonText
                try transaction.replaceOutboxEntry(entry.sequence, with: replaced)
            }
        }
    }

    /// Applies a page of remote records (a sync page, subscription events) in one transaction.
    ///
    /// A record applies only when its version is higher than the one known locally and it has no
    /// pending outbox entry (that write will meet the backend's conflict path: no silent local
    /// win); a tombstone deletes the local copy. Relations are not checked: children may arrive
    /// before their parents.
    package func reconcile(_ records: [RemoteRecord], schema: ModelSchema) throws(DataStoreError) -> ReconcileCounts {
        let modelEntry = try registered(schema)
        // The highest version of each record (a delta page can hold several).
        var newest: [ModelIdentifier: RemoteRecord] = [:]
        var order: [ModelIdentifier] = []
        for record in records {
            let identifier = ModelIdentifier(of: record.values, in: schema)
            if let known = newest[identifier] {
                if record.state.version > known.state.version { newest[identifier] = record }
            } else {
                newest[identifier] = record
                order.append(identifier)
            }
        }
        var counts = ReconcileCounts()
        // Events cost a decoded model each: built only when someone is listening (and, for one
        // who comes during the transaction, after it).
        let observed = hub.hasSubscribers(for: schema.name)
        var unobserved: [AppliedRecord] = []
        let changes = try syncTransaction { transaction throws(DataStoreError) -> [StorageChange] in
            var changes: [StorageChange] = []
            let pending = try transaction.pendingModelIDs(schema.name)
            for identifier in order {
                guard let record = newest[identifier] else { continue }
                let modelID = identifier.description
                let known = try transaction.remoteState(model: schema.name, modelID: modelID)
                if let known, known.version >= record.state.version {
                    counts.skipped += 1
                    continue
                }
                if pending.contains(modelID) {
                    // Put aside: if a write of the record is on the wire, its answer may be older
                    // than this (the backend applied it first), and this copy must win then.
                    let key = Self.recordKey(schema.name, modelID)
                    if (deferredRemote[key]?.state.version ?? .min) < record.state.version {
                        deferredRemote[key] = record
                    }
                    counts.skipped += 1
                    continue
                }
                try transaction.setRemoteState(record.state, model: schema.name, modelID: modelID)
                guard
                    let applied = try apply(
                        record,
                        of: modelEntry,
                        in: transaction,
                        isNew: known == nil,
                        observed: observed
                    )
                else { continue }
                switch applied.kind {
                case .created: counts.created += 1
                case .updated: counts.updated += 1
                case .deleted: counts.deleted += 1
                }
                if let change = applied.change { changes.append(change) } else { unobserved.append(applied.record) }
            }
            return changes
        }
        publishRemote(changes + lateChanges(unobserved, modelEntry))
        return counts
    }

    /// A remote record applied locally, as its change event is built from.
    struct AppliedRecord {
        let kind: MutationKind
        let values: [FieldValue]
        let identifier: ModelIdentifier
    }

    /// The change events of records applied while nobody observed their model when the
    /// transaction began: someone may have started observing during it, before the commit, and
    /// must not miss them. Built after the commit on the engine's executor, before any later
    /// write, so relation filters read exactly the committed state.
    func lateChanges(_ applied: [AppliedRecord], _ entry: RegisteredModels.Entry) -> [StorageChange] {
        guard !applied.isEmpty, hub.hasSubscribers(for: entry.schema.name) else { return [] }
        let filters = hub.relationFilters(for: entry.schema.name)
        // Deletions are not matched against relation filters (as in the transaction).
        let matches =
            filters.isEmpty
            ? applied.map { _ in [:] }
            : zip(applied, evaluateCommitted(filters, applied.map(\.values))).map { $0.kind == .deleted ? [:] : $1 }
        var changes: [StorageChange] = []
        for (record, matches) in zip(applied, matches) {
            // The values were just stored from a decoded remote item: they decode.
            guard let model = try? entry.schema.decode(entry.type, record.values, context: context) else { continue }
            changes.append(
                StorageChange(
                    modelName: entry.schema.name,
                    kind: record.kind,
                    source: .remote,
                    identifier: record.identifier,
                    values: record.values,
                    model: model,
                    relationMatches: matches
                )
            )
        }
        return changes
    }

    /// Deletes `schema`'s local records that the backend no longer returns (`kept` are the
    /// identifiers a complete base sync returned) and that have no pending outbox entry, with their
    /// sync metadata. Returns how many it deleted.
    ///
    /// A record the backend changed at or after `startedAt` (the base sync's start, on the
    /// backend's clock) stays: the sync's pages may predate it (a mutation of this store settled
    /// while they were read), and the next delta sync brings its state.
    package func evict(
        _ schema: ModelSchema,
        keeping kept: Set<String>,
        changedBefore startedAt: Int64
    ) throws(DataStoreError) -> Int {
        let modelEntry = try registered(schema)
        let changes = try syncTransaction { transaction throws(DataStoreError) -> [StorageChange] in
            let pending = try transaction.pendingModelIDs(schema.name)
            func isStale(_ modelID: String) throws(DataStoreError) -> Bool {
                guard !kept.contains(modelID), !pending.contains(modelID) else { return false }
                guard let state = try transaction.remoteState(model: schema.name, modelID: modelID) else { return true }
                return state.lastChangedAt < startedAt
            }
            var doomed: [[FieldValue]] = []
            try transaction.fetch(schema, FetchRequest()) { values throws(DataStoreError) in
                if !kept.contains(ModelIdentifier(of: values, in: schema).description) { doomed.append(values) }
            }
            var changes: [StorageChange] = []
            for values in doomed {
                let identifier = ModelIdentifier(of: values, in: schema)
                let modelID = identifier.description
                guard try isStale(modelID), try transaction.delete(schema, identifier) != nil else { continue }
                try transaction.setRemoteState(nil, model: schema.name, modelID: modelID)
                changes.append(try remoteChange(.deleted, modelEntry, values, identifier, in: transaction))
            }
            // Metadata of records that are gone locally and on the backend.
            for modelID in try transaction.remoteModelIDs(schema.name) where try isStale(modelID) {
                try transaction.setRemoteState(nil, model: schema.name, modelID: modelID)
            }
            return changes
        }
        publishRemote(changes)
        return changes.count
    }

    /// The backend's copy of the record, as the metadata knows it.
    package func remoteState(model: String, modelID: String) throws(DataStoreError) -> RemoteRecordState? {
        try syncTransaction { transaction throws(DataStoreError) in
            try transaction.remoteState(model: model, modelID: modelID)
        }
    }

    /// Moves `entry` from the outbox to the dead letters.
    package func deadLetter(_ entry: OutboxEntry, reason: String) throws(DataStoreError) {
        let failedAt = clock.millisecondsSince1970
        try syncTransaction { transaction throws(DataStoreError) in
            try transaction.removeOutboxEntry(entry.sequence)
            var entry = entry
            entry.inFlight = false
            try transaction.addDeadLetter(DeadLetter(entry: entry, failedAt: failedAt, reason: reason))
        }
        deferredRemote[Self.recordKey(entry.modelName, entry.modelID)] = nil
    }

    /// The dead letters, oldest first.
    package func deadLetters() throws(DataStoreError) -> [DeadLetter] {
        try syncTransaction { transaction throws(DataStoreError) in try transaction.deadLetters() }
    }

    /// Puts a dead letter back at the end of the outbox; false when there is none with `sequence`.
    package func retryDeadLetter(_ sequence: Int64) throws(DataStoreError) -> Bool {
        let retried = try syncTransaction { transaction throws(DataStoreError) -> Bool in
            guard let letter = try transaction.removeDeadLetter(sequence) else { return false }
            try transaction.enqueue(letter.entry)
            return true
        }
        if retried { outboxListener?.notify() }
        return retried
    }

    /// Drops a dead letter for good; false when there is none with `sequence`.
    package func discardDeadLetter(_ sequence: Int64) throws(DataStoreError) -> Bool {
        try syncTransaction { transaction throws(DataStoreError) in try transaction.removeDeadLetter(sequence) != nil }
    }

    /// Where `model`'s sync stands.
    package func modelSyncState(_ model: String) throws(DataStoreError) -> ModelSyncState {
        try syncTransaction { transaction throws(DataStoreError) in try transaction.modelSyncState(model) }
    }

    /// Records that `model`'s sync finished: its ``QuerySnapshot``s report ``QuerySnapshot/isSynced``.
    package func markSynced(_ model: String) {
        hub.markSynced(model)
    }

    /// Records where `model`'s sync stands.
    package func setModelSyncState(_ state: ModelSyncState, model: String) throws(DataStoreError) {
        try syncTransaction { transaction throws(DataStoreError) in
            try transaction.setModelSyncState(state, model: model)
        }
    }

    // MARK: Helpers

    /// Makes the local copy of a record what the backend holds: deletes it for a tombstone,
    /// stores the values otherwise. Returns what it did, or nil when nothing changed.
    ///
    /// - Parameters:
    ///   - isNew: The record had no sync metadata (its local copy, if any, is not compared first).
    ///   - observed: Whether to build the change event (someone observes the model).
    private func apply(
        _ record: RemoteRecord,
        of entry: RegisteredModels.Entry,
        in transaction: any SyncStorageTransaction,
        isNew: Bool,
        observed: Bool
    ) throws(DataStoreError) -> (kind: MutationKind, change: StorageChange?, record: AppliedRecord)? {
        let schema = entry.schema
        let identifier = ModelIdentifier(of: record.values, in: schema)
        if record.state.isDeleted {
            guard let values = try transaction.delete(schema, identifier) else { return nil }
            return (
                .deleted, observed ? try remoteChange(.deleted, entry, values, identifier, in: transaction) : nil,
                AppliedRecord(kind: .deleted, values: values, identifier: identifier)
            )
        }
        if !isNew, let local = try transaction.fetchOne(schema, identifier), local == record.values { return nil }
        let kind = try transaction.upsert(schema, record.values)
        return (
            kind, observed ? try remoteChange(kind, entry, record.values, identifier, in: transaction) : nil,
            AppliedRecord(kind: kind, values: record.values, identifier: identifier)
        )
    }

    private func remoteChange(
        _ kind: MutationKind,
        _ entry: RegisteredModels.Entry,
        _ values: [FieldValue],
        _ identifier: ModelIdentifier,
        in transaction: any SyncStorageTransaction
    ) throws(DataStoreError) -> StorageChange {
        // Observers' relation filters see the new state, in the write's transaction, as for a save.
        let filters = kind == .deleted ? [] : hub.relationFilters(for: entry.schema.name)
        return StorageChange(
            modelName: entry.schema.name,
            kind: kind,
            source: .remote,
            identifier: identifier,
            values: values,
            model: try entry.schema.decode(entry.type, values, context: context),
            relationMatches: filters.isEmpty ? [:] : try Self.evaluate(filters, values, in: transaction)
        )
    }

    private func publishRemote(_ changes: [StorageChange]) {
        if !changes.isEmpty { hub.publish(ChangeBatch(changes: changes)) }
    }
}
