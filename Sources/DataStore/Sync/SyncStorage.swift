/// What the backend is known to hold for one record: the sync metadata of ARCHITECTURE §4.
package struct RemoteRecordState: Hashable, Sendable {
    /// The record's `_version` on the backend.
    package var version: Int
    /// Its `_lastChangedAt`, in milliseconds since 1970.
    package var lastChangedAt: Int64
    /// Whether the backend holds it as a tombstone.
    package var isDeleted: Bool

    package init(version: Int, lastChangedAt: Int64, isDeleted: Bool) {
        self.version = version
        self.lastChangedAt = lastChangedAt
        self.isDeleted = isDeleted
    }
}

/// Where a model's sync stands: the base of its next delta sync.
package struct ModelSyncState: Hashable, Sendable {
    /// The `startedAt` of the last completed sync (the next delta's `lastSync`).
    package var lastSync: Int64?
    /// When the last completed base (full) sync began, on this device's clock (the interval
    /// between base syncs is this device's to keep; the backend's times only name delta syncs).
    package var lastFullSync: Int64?
    /// The hash of the sync expression the last sync used (a change forces a base sync).
    package var expressionHash: String?

    package init(lastSync: Int64? = nil, lastFullSync: Int64? = nil, expressionHash: String? = nil) {
        self.lastSync = lastSync
        self.lastFullSync = lastFullSync
        self.expressionHash = expressionHash
    }
}

/// A record as the backend sent it: the stored values of a model (in schema order) and its sync
/// metadata.
package struct RemoteRecord: Sendable {
    package let values: [FieldValue]
    package let state: RemoteRecordState

    package init(values: [FieldValue], state: RemoteRecordState) {
        self.values = values
        self.state = state
    }
}

/// What applying remote records did.
package struct ReconcileCounts: Hashable, Sendable {
    package var created = 0
    package var updated = 0
    package var deleted = 0
    /// Records left alone: not newer than the local copy, or with local writes still to send.
    package var skipped = 0

    package init() {}
}

/// The sync engine's access to storage: the sync metadata, per-model sync state and dead letters.
/// SQLite stores have it; the in-memory adapter does not sync.
protocol SyncStorageTransaction: StorageTransaction {
    func remoteState(model: String, modelID: String) throws(DataStoreError) -> RemoteRecordState?
    func setRemoteState(_ state: RemoteRecordState?, model: String, modelID: String) throws(DataStoreError)
    /// Whether the record `modelID` of `model` has an entry in the outbox.
    func hasOutboxEntry(model: String, modelID: String) throws(DataStoreError) -> Bool
    /// Sets the version the record's pending entries are sent with (nil: the record's metadata).
    func setOutboxVersion(_ version: Int?, model: String, modelID: String) throws(DataStoreError)
    func outboxVersion(_ sequence: Int64) throws(DataStoreError) -> Int?
    func outboxEntry(_ sequence: Int64) throws(DataStoreError) -> OutboxEntry?
    /// The oldest `limit` outbox entries.
    func outboxEntries(limit: Int) throws(DataStoreError) -> [OutboxEntry]
    /// The identifiers (as text) of `model`'s records with pending outbox entries.
    func pendingModelIDs(_ model: String) throws(DataStoreError) -> Set<String>
    func modelSyncState(_ model: String) throws(DataStoreError) -> ModelSyncState
    func setModelSyncState(_ state: ModelSyncState, model: String) throws(DataStoreError)
    func deadLetters() throws(DataStoreError) -> [DeadLetter]
    func addDeadLetter(_ letter: DeadLetter) throws(DataStoreError)
    func removeDeadLetter(_ sequence: Int64) throws(DataStoreError) -> DeadLetter?
    /// The identifiers (as text) of `model`'s records that have sync metadata.
    func remoteModelIDs(_ model: String) throws(DataStoreError) -> [String]
}

extension ModelSchema {
    /// The identifier of the record `values` (in field order) hold, as text: what the outbox and
    /// the sync metadata name records by (composite keys joined by `#`).
    package func identifierText(of values: [FieldValue]) -> String {
        ModelIdentifier(of: values, in: self).description
    }

    /// Whether the record `values` (in field order, stored form) holds everything a mutation sent:
    /// every writable field named in `sent`, compared in stored form. Read-only fields (the
    /// timestamps a backend stamps) are not compared. This is how the sender tells its own write
    /// from a backend's merge, and its own earlier create from someone else's record.
    package func holds(_ sent: [String: FieldValue], in values: [FieldValue]) -> Bool {
        zip(fields, values).allSatisfy { field, value in
            guard !field.isReadOnly, let sentValue = sent[field.name] else { return true }
            return field.type.storedForm(of: sentValue) == value
        }
    }
}

/// What a synced store refuses to enqueue: given a model's schema and the values a save would
/// write, the field (a path into nested values) and what to do about it; nil when the values
/// may be sent.
package typealias OutboxValueCheck = @Sendable (ModelSchema, [FieldValue]) -> (field: String, message: String)?
