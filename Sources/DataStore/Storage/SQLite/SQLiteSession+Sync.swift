import GRDB

/// Sync metadata, per-model sync state and dead letters in the store's system tables.
extension SQLiteSession: SyncStorageTransaction {
    func remoteState(model: String, modelID: String) throws(DataStoreError) -> RemoteRecordState? {
        try run(nil) {
            try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT "version", "last_changed_at", "deleted" FROM "__datastore_sync_metadata"
                        WHERE "model" = ? AND "model_id" = ?
                        """
                ),
                arguments: [model, modelID]
            ).map { row in
                RemoteRecordState(version: row[0], lastChangedAt: row[1], isDeleted: row[2])
            }
        }
    }

    func setRemoteState(_ state: RemoteRecordState?, model: String, modelID: String) throws(DataStoreError) {
        try run(nil) {
            guard let state else {
                try db.cachedStatement(
                    sql: #"DELETE FROM "__datastore_sync_metadata" WHERE "model" = ? AND "model_id" = ?"#
                ).execute(arguments: [model, modelID])
                return
            }
            try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO "__datastore_sync_metadata"
                    ("model", "model_id", "version", "last_changed_at", "deleted") VALUES (?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [model, modelID, state.version, state.lastChangedAt, state.isDeleted])
        }
    }

    func remoteModelIDs(_ model: String) throws(DataStoreError) -> [String] {
        try run(nil) {
            try String.fetchAll(
                db.cachedStatement(sql: #"SELECT "model_id" FROM "__datastore_sync_metadata" WHERE "model" = ?"#),
                arguments: [model]
            )
        }
    }

    func hasOutboxEntry(model: String, modelID: String) throws(DataStoreError) -> Bool {
        try run(nil) {
            try Bool.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT EXISTS (SELECT 1 FROM "__datastore_outbox" WHERE "model" = ? AND "model_id" = ?)
                        """
                ),
                arguments: [model, modelID]
            ) ?? false
        }
    }

    func setOutboxVersion(_ version: Int?, model: String, modelID: String) throws(DataStoreError) {
        try run(nil) {
            try db.cachedStatement(
                sql: #"UPDATE "__datastore_outbox" SET "version" = ? WHERE "model" = ? AND "model_id" = ?"#
            ).execute(arguments: [version, model, modelID])
        }
    }

    func outboxEntry(_ sequence: Int64) throws(DataStoreError) -> OutboxEntry? {
        try run(nil) {
            try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT \(Self.outboxColumns) FROM \"__datastore_outbox\" WHERE \"sequence\" = ?"
                ),
                arguments: [sequence]
            ).map(Self.outboxEntry)
        }
    }

    func outboxEntries(limit: Int) throws(DataStoreError) -> [OutboxEntry] {
        try run(nil) {
            try Array(
                Row.fetchCursor(
                    db.cachedStatement(
                        sql: "SELECT \(Self.outboxColumns) FROM \"__datastore_outbox\" ORDER BY \"sequence\" LIMIT ?"
                    ),
                    arguments: [limit]
                ).map(Self.outboxEntry)
            )
        }
    }

    func pendingModelIDs(_ model: String) throws(DataStoreError) -> Set<String> {
        try run(nil) {
            Set(
                try String.fetchAll(
                    db.cachedStatement(sql: #"SELECT DISTINCT "model_id" FROM "__datastore_outbox" WHERE "model" = ?"#),
                    arguments: [model]
                )
            )
        }
    }

    func outboxVersion(_ sequence: Int64) throws(DataStoreError) -> Int? {
        try run(nil) {
            try Int.fetchOne(
                db.cachedStatement(sql: #"SELECT "version" FROM "__datastore_outbox" WHERE "sequence" = ?"#),
                arguments: [sequence]
            )
        }
    }

    func modelSyncState(_ model: String) throws(DataStoreError) -> ModelSyncState {
        try run(nil) {
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT "last_sync", "last_full_sync", "expression_hash" FROM "__datastore_model_sync_state"
                        WHERE "model" = ?
                        """
                ),
                arguments: [model]
            )
            return row.map { ModelSyncState(lastSync: $0[0], lastFullSync: $0[1], expressionHash: $0[2]) }
                ?? ModelSyncState()
        }
    }

    func setModelSyncState(_ state: ModelSyncState, model: String) throws(DataStoreError) {
        try run(nil) {
            try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO "__datastore_model_sync_state"
                    ("model", "last_sync", "last_full_sync", "expression_hash") VALUES (?, ?, ?, ?)
                    """
            ).execute(arguments: [model, state.lastSync, state.lastFullSync, state.expressionHash])
        }
    }

    func deadLetters() throws(DataStoreError) -> [DeadLetter] {
        try run(nil) {
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.outboxColumns), "failed_at", "reason" FROM "__datastore_dead_letters"
                    ORDER BY "sequence"
                    """
            ).map { row in
                DeadLetter(entry: Self.outboxEntry(row), failedAt: row[8], reason: row[9])
            }
        }
    }

    func addDeadLetter(_ letter: DeadLetter) throws(DataStoreError) {
        let entry = letter.entry
        try run(nil) {
            try db.cachedStatement(
                sql: """
                    INSERT INTO "__datastore_dead_letters" (\(Self.outboxColumns), "failed_at", "reason")
                    VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
                    """
            ).execute(arguments: [
                entry.sequence, entry.modelName, entry.modelID, entry.kind.rawValue, entry.payload, entry.condition,
                entry.enqueuedAt, letter.failedAt, letter.reason,
            ])
        }
    }

    func removeDeadLetter(_ sequence: Int64) throws(DataStoreError) -> DeadLetter? {
        let letter = try run(nil) {
            try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT \(Self.outboxColumns), "failed_at", "reason" FROM "__datastore_dead_letters"
                        WHERE "sequence" = ?
                        """
                ),
                arguments: [sequence]
            ).map { row in
                DeadLetter(entry: Self.outboxEntry(row), failedAt: row[8], reason: row[9])
            }
        }
        guard letter != nil else { return nil }
        try run(nil) {
            try db.cachedStatement(sql: #"DELETE FROM "__datastore_dead_letters" WHERE "sequence" = ?"#)
                .execute(arguments: [sequence])
        }
        return letter
    }
}
