import GRDB

/// Reads and writes on one GRDB connection, inside a `read` or `write` block.
struct SQLiteSession: StorageTransaction {
    let db: Database
    let tables: [String: SQLiteTable]

    private func table(_ schema: ModelSchema) throws(DataStoreError) -> SQLiteTable {
        guard let table = tables[schema.name] else { throw .modelNotRegistered(schema.name) }
        return table
    }

    /// Runs GRDB work, mapping its errors and locating them on `schema`.
    func run<T>(_ schema: ModelSchema?, _ work: () throws -> T) throws(DataStoreError) -> T {
        do {
            return try work()
        } catch {
            throw DataStoreError.sqlite(error, path: nil, model: schema?.name)
        }
    }

    // MARK: Reading

    func fetch(
        _ schema: ModelSchema,
        _ request: FetchRequest,
        _ visit: ([FieldValue]) throws(DataStoreError) -> Void
    ) throws(DataStoreError) {
        let table = try table(schema)
        let rows = try run(schema) { try cursor(table, request) }
        var values: [FieldValue] = []
        while let row = try run(schema, { try rows.next() }) {
            try table.decode(row, into: &values)
            try visit(values)
        }
    }

    func fetch<M: Model>(_ type: M.Type, _ schema: ModelSchema, _ request: FetchRequest) throws(DataStoreError) -> [M] {
        let table = try table(schema)
        // A plain loop rather than a closure per row: in this unspecialized generic function, a
        // closure capturing `models` looked up the array's type metadata for every row.
        let rows = try run(schema) { try cursor(table, request) }
        var models: [M] = []
        if let page = request.page { models.reserveCapacity(min(page.size, 1_024)) }
        var source: SQLiteRowSource?
        while let row = try run(schema, { try rows.next() }) {
            // The cursor hands out the same row object each time; wrap it once.
            if source == nil || source?.row !== row { source = SQLiteRowSource(row: row, layout: table.layout) }
            models.append(try table.decode(M.self, from: source!, context: request.context))
        }
        return models
    }

    /// A cursor over the rows of the request's SELECT (each row valid until the next step).
    private func cursor(_ table: SQLiteTable, _ request: FetchRequest) throws -> RowCursor {
        var sql = table.selectSQL
        var arguments: [DatabaseValue] = []
        if !request.predicate.isAlwaysTrue {
            let condition = SQLitePredicateCompiler.compile(request.predicate, schema: table.schema)
            sql += " WHERE " + condition.sql
            arguments = condition.arguments
        }
        sql += SQLitePredicateCompiler.orderBy(request.sort, schema: table.schema)
        if let page = request.page {
            sql += " LIMIT ? OFFSET ?"
            arguments.append(Int64(page.size).databaseValue)
            arguments.append(Int64(page.index * page.size).databaseValue)
        }
        return try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: SQLiteTable.arguments(arguments))
    }

    func fetchOne(_ schema: ModelSchema, _ identifier: ModelIdentifier) throws(DataStoreError) -> [FieldValue]? {
        let table = try table(schema)
        return try run(schema) {
            let statement = try db.cachedStatement(sql: table.selectByIDSQL)
            guard let row = try Row.fetchOne(statement, arguments: SQLiteTable.arguments(identifier.values)) else {
                return nil
            }
            return try table.decode(row)
        }
    }

    func count(_ schema: ModelSchema, _ predicate: ResolvedPredicate) throws(DataStoreError) -> Int {
        let table = try table(schema)
        var sql = "SELECT COUNT(*) FROM \(table.quotedName)"
        var arguments: [DatabaseValue] = []
        if !predicate.isAlwaysTrue {
            let condition = SQLitePredicateCompiler.compile(predicate, schema: table.schema)
            sql += " WHERE " + condition.sql
            arguments = condition.arguments
        }
        return try run(schema) {
            try Int.fetchOne(db.cachedStatement(sql: sql), arguments: SQLiteTable.arguments(arguments)) ?? 0
        }
    }

    func exists(_ schema: ModelSchema, _ predicate: ResolvedPredicate) throws(DataStoreError) -> Bool {
        let table = try table(schema)
        let condition = SQLitePredicateCompiler.compile(predicate, schema: table.schema)
        let sql = "SELECT EXISTS (SELECT 1 FROM \(table.quotedName) WHERE \(condition.sql))"
        return try run(schema) {
            try Bool.fetchOne(db.cachedStatement(sql: sql), arguments: SQLiteTable.arguments(condition.arguments))
                ?? false
        }
    }

    func outboxEntries() throws(DataStoreError) -> [OutboxEntry] {
        try run(nil) {
            try Row.fetchAll(
                db,
                sql: "SELECT \(Self.outboxColumns) FROM \"__datastore_outbox\" ORDER BY \"sequence\""
            ).map(Self.outboxEntry)
        }
    }

    func newestOutboxEntry(model: String, modelID: String) throws(DataStoreError) -> OutboxEntry? {
        try run(nil) {
            try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT \(Self.outboxColumns) FROM "__datastore_outbox" WHERE "model" = ? AND "model_id" = ?
                        ORDER BY "sequence" DESC LIMIT 1
                        """
                ),
                arguments: [model, modelID]
            ).map(Self.outboxEntry)
        }
    }

    static let outboxColumns =
        #""sequence", "model", "model_id", "kind", "payload", "condition", "enqueued_at", "in_flight""#

    /// An entry from a row that starts with ``outboxColumns``, read by position (the sender reads
    /// entries on every dispatch; a lookup by name costs more than the rest of the row).
    static func outboxEntry(_ row: Row) -> OutboxEntry {
        OutboxEntry(
            sequence: row[0],
            modelName: row[1],
            modelID: row[2],
            kind: OutboxEntry.Kind(rawValue: row[3]) ?? .update,
            payload: row[4],
            condition: row[5],
            enqueuedAt: row[6],
            inFlight: row[7]
        )
    }

    // MARK: Writing

    func insert(_ schema: ModelSchema, _ values: [FieldValue]) throws(DataStoreError) {
        let table = try table(schema)
        try run(schema) {
            try db.cachedStatement(sql: table.insertSQL).execute(arguments: SQLiteTable.arguments(values))
        }
    }

    func upsert(_ schema: ModelSchema, _ values: [FieldValue]) throws(DataStoreError) -> MutationKind {
        let table = try table(schema)
        return try run(schema) {
            // Validation has ruled out NULL in required columns and the tables have no CHECK or
            // secondary UNIQUE constraints, so OR IGNORE can only skip a primary key conflict.
            try db.cachedStatement(sql: table.insertOrIgnoreSQL).execute(arguments: SQLiteTable.arguments(values))
            if db.changesCount > 0 { return .created }
            guard try update(schema, values) else {
                throw DataStoreError(
                    code: .sqlite,
                    message: "SQLite ignored the insert of a \(schema.name) for no known reason.",
                    model: schema.name
                )
            }
            return .updated
        }
    }

    func update(_ schema: ModelSchema, _ values: [FieldValue]) throws(DataStoreError) -> Bool {
        let table = try table(schema)
        return try run(schema) {
            guard let updateSQL = table.updateSQL else {
                // Every column is part of the key: an existing row already holds these values.
                let arguments = SQLiteTable.arguments(values, at: schema.primaryKeyIndices)
                return try Row.fetchOne(db.cachedStatement(sql: table.existsByIDSQL), arguments: arguments) != nil
            }
            let statement = try db.cachedStatement(sql: updateSQL)
            try statement.execute(
                arguments: SQLiteTable.arguments(values, at: table.nonKeyIndices + schema.primaryKeyIndices)
            )
            return db.changesCount > 0
        }
    }

    func delete(_ schema: ModelSchema, _ identifier: ModelIdentifier) throws(DataStoreError) -> [FieldValue]? {
        let table = try table(schema)
        return try run(schema) {
            let statement = try db.cachedStatement(sql: table.deleteByIDSQL)
            guard let row = try Row.fetchOne(statement, arguments: SQLiteTable.arguments(identifier.values)) else {
                return nil
            }
            return try table.decode(row)
        }
    }

    func delete(_ schema: ModelSchema, _ predicate: ResolvedPredicate) throws(DataStoreError) -> [[FieldValue]] {
        let table = try table(schema)
        var sql = "DELETE FROM \(table.quotedName)"
        var arguments: [DatabaseValue] = []
        if !predicate.isAlwaysTrue {
            let condition = SQLitePredicateCompiler.compile(predicate, schema: table.schema)
            sql += " WHERE " + condition.sql
            arguments = condition.arguments
        }
        sql += " RETURNING \(table.columnList)"
        return try run(schema) {
            var deleted: [[FieldValue]] = []
            let rows = try Row.fetchCursor(db.makeStatement(sql: sql), arguments: SQLiteTable.arguments(arguments))
            while let row = try rows.next() { deleted.append(try table.decode(row)) }
            return deleted
        }
    }

    func enqueue(_ entry: OutboxEntry) throws(DataStoreError) {
        try run(nil) {
            try db.cachedStatement(
                sql: """
                    INSERT INTO "__datastore_outbox" ("model", "model_id", "kind", "payload", "condition", "enqueued_at", "in_flight")
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                entry.modelName, entry.modelID, entry.kind.rawValue, entry.payload, entry.condition, entry.enqueuedAt,
                entry.inFlight,
            ])
        }
    }

    func replaceOutboxEntry(_ sequence: Int64, with entry: OutboxEntry) throws(DataStoreError) {
        try run(nil) {
            try db.cachedStatement(
                sql: """
                    UPDATE "__datastore_outbox" SET "kind" = ?, "payload" = ?, "condition" = ?, "enqueued_at" = ?
                    WHERE "sequence" = ?
                    """
            ).execute(arguments: [entry.kind.rawValue, entry.payload, entry.condition, entry.enqueuedAt, sequence])
        }
    }

    func setOutboxInFlight(_ sequences: [Int64], _ inFlight: Bool) throws(DataStoreError) {
        try run(nil) {
            let statement = try db.cachedStatement(
                sql: #"UPDATE "__datastore_outbox" SET "in_flight" = ? WHERE "sequence" = ?"#
            )
            for sequence in sequences { try statement.execute(arguments: [inFlight, sequence]) }
        }
    }

    func removeOutboxEntry(_ sequence: Int64) throws(DataStoreError) {
        try run(nil) {
            try db.cachedStatement(sql: #"DELETE FROM "__datastore_outbox" WHERE "sequence" = ?"#)
                .execute(arguments: [sequence])
        }
    }

    func deleteAllData(_ schemas: [ModelSchema]) throws(DataStoreError) {
        try run(nil) {
            for schema in schemas {
                guard let table = tables[schema.name] else { continue }
                try db.execute(sql: "DELETE FROM \(table.quotedName)")
            }
            try db.execute(sql: "DELETE FROM \"__datastore_outbox\"")
            try db.execute(sql: "DELETE FROM \"__datastore_sync_metadata\"")
            try db.execute(sql: "DELETE FROM \"__datastore_model_sync_state\"")
            try db.execute(sql: "DELETE FROM \"__datastore_dead_letters\"")
        }
    }
}
