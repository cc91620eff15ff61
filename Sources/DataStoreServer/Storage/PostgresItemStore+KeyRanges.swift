import DataStore
public import DataStoreAppSync
import PostgresNIO

/// Key-range reads (key queries, relation fields) in PostgreSQL's dialect.
extension PostgresItemStore {
    /// A page of `model`'s items; see ``ItemStore``.
    public func items(
        _ model: String,
        in range: KeyRange,
        after position: RangePosition?,
        limit: Int
    ) async throws(AppSyncError) -> [(position: RangePosition, item: StoredItem)] {
        let numeric = range.sortKey.isNumeric
        return try await rows(
            sql.items(model, in: range, after: position, limit: limit).query,
            doing: "reading a key range of \(model) items"
        ) { row in
            let text = try row[0].decode(String?.self)
            let sortValue: FieldValue =
                switch text {
                case nil: .null
                // A numeric's text is a JSON number.
                case let text? where numeric: (try? FieldValue(jsonText: text)) ?? .string(text)
                case let text?: .string(text)
                }
            return (
                RangePosition(sortValue: sortValue, key: try row[1].decode(String.self)),
                try Self.decode(row, offset: 2)
            )
        }
    }

    /// PostgreSQL's plan for a page of `range`, with sequential scans discouraged so that a small
    /// test table shows which index could serve the read (for tests).
    func plan(_ model: String, in range: KeyRange, after position: RangePosition? = nil) async throws -> String {
        let statement = sql.items(model, in: range, after: position, limit: 10)
        let logger = self.logger
        return try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SET LOCAL enable_seqscan = off", logger: logger)
            var lines: [String] = []
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "EXPLAIN " + statement.sql, binds: statement.query.binds),
                logger: logger
            )
            for try await line in rows.decode(String.self) { lines.append(line) }
            return lines.joined(separator: "\n")
        }
    }

    /// Creates the indexes key reads need; see ``ItemStore``.
    public func prepare(_ indexes: [KeyIndex]) async throws(AppSyncError) {
        // PostgreSQL creates an index in its table's schema.
        let statements = indexes.compactMap { sql.create($0, named: Self.quoted($0.name)) }
        guard !statements.isEmpty else { return }
        let (logger, lock) = (self.logger, Self.lockKey("datastore-server migration \(schema)"))
        do {
            // Under the migration lock, so that servers starting together do not race.
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(lock))", logger: logger)
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            }
        } catch {
            throw failure(error, "creating the indexes of key reads")
        }
    }
}
