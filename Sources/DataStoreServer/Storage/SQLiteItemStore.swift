import DataStore
public import DataStoreAppSync
import Foundation
import GRDB

/// The embedded store: one SQLite file (WAL, so sync queries read while mutations write), or
/// memory for tests.
///
/// Items are JSON documents beside indexed metadata columns; every write also appends the item's
/// new state to the `changes` log that delta syncs read.
public final class SQLiteItemStore: ItemStore {
    private let database: any DatabaseWriter
    /// The statements this store shares with the PostgreSQL store.
    private let sql = ItemSQL(dialect: .sqlite, items: "items", changes: "changes")
    private let path: String?
    /// The key that signs page tokens, kept in the database so every server sharing it agrees.
    public let tokenSecret: [UInt8]
    /// The names of the key read indexes this store made (``prepare(_:)``): reads that fit one
    /// name it, as SQLite, without statistics, may take the primary key (model, key) for just as
    /// selective and scan a whole model.
    private let preparedIndexes = Locked<Set<String>>([])
    /// The signals of the tasks following commits (``followCommits(_:)``), by number.
    private let followers = Locked<(next: Int, signals: [Int: WorkSignal])>((0, [:]))

    /// Opens (creating if needed) the store at `path`, or an in-memory store when `path` is nil.
    ///
    /// - Throws: `AppSyncError` when the file cannot be opened or is not a store of this server.
    public init(path: String?) throws(AppSyncError) {
        self.path = path
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            if let path {
                database = try DatabasePool(path: path, configuration: configuration)
            } else {
                database = try DatabaseQueue(configuration: configuration)
            }
            tokenSecret = try database.write { db in
                try Self.migrate(db)
                // Created once, with the database; every later open reads the same key.
                let fresh = (0..<32).map { _ in UInt8.random(in: 0...255) }
                try db.execute(
                    sql: "INSERT OR IGNORE INTO settings (name, value) VALUES ('tokenSecret', ?)",
                    arguments: [Data(fresh)]
                )
                guard let stored = try Data.fetchOne(db, sql: "SELECT value FROM settings WHERE name = 'tokenSecret'"),
                    stored.count == 32
                else {
                    throw AppSyncError(.internalFailure, "The database's token key is damaged.")
                }
                return Array(stored)
            }
        } catch {
            throw AppSyncError(
                .internalFailure,
                "Could not open the server database at \(path ?? "memory"): \(error). Check that the path is a "
                    + "writable SQLite file created by datastore-server, or a new path."
            )
        }
    }

    private static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS items (
                    model TEXT NOT NULL,
                    key TEXT NOT NULL,
                    fields TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    deleted INTEGER NOT NULL,
                    lastChangedAt INTEGER NOT NULL,
                    PRIMARY KEY (model, key)
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX IF NOT EXISTS items_tombstones ON items (lastChangedAt) WHERE deleted = 1;
                CREATE TABLE IF NOT EXISTS changes (
                    position INTEGER PRIMARY KEY AUTOINCREMENT,
                    model TEXT NOT NULL,
                    key TEXT NOT NULL,
                    fields TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    deleted INTEGER NOT NULL,
                    lastChangedAt INTEGER NOT NULL
                ) STRICT;
                CREATE INDEX IF NOT EXISTS changes_by_model ON changes (model, position);
                CREATE INDEX IF NOT EXISTS changes_by_time ON changes (lastChangedAt);
                CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;
                """
        )
    }

    private static func decode(_ row: Row, offset: Int = 0) throws -> StoredItem {
        let text: String = row[offset]
        guard case .object(let fields) = try FieldValue(jsonText: text) else {
            throw AppSyncError(.internalFailure, "A stored item is not a JSON object.")
        }
        return StoredItem(
            fields: fields,
            version: row[offset + 1],
            isDeleted: row[offset + 2],
            lastChangedAt: row[offset + 3]
        )
    }

    /// The item of `model` with `key`, tombstones included; see ``ItemStore``.
    public func item(_ model: String, key: String) async throws(AppSyncError) -> StoredItem? {
        let statement = sql.item(model, key: key)
        do {
            return try await database.read { db in
                try Row.fetchOne(db.cachedStatement(sql: statement.sql), arguments: statement.arguments)
                    .map { try Self.decode($0) }
            }
        } catch {
            throw .storage(error, "reading \(model) \(key)")
        }
    }

    /// Writes `item` if the stored version is `expecting`, appending it to the log; see ``ItemStore``.
    public func commit(
        _ model: String,
        key: String,
        expecting expected: Int?,
        item: StoredItem
    ) async throws(AppSyncError)
        -> Bool
    {
        let fields = FieldValue.object(item.fields).jsonText
        do {
            let committed = try await database.write { db in
                let current = try Int.fetchOne(
                    db.cachedStatement(sql: "SELECT version FROM items WHERE model = ? AND key = ?"),
                    arguments: [model, key]
                )
                guard current == expected else { return false }
                let arguments: StatementArguments = [
                    model, key, fields, item.version, item.isDeleted, item.lastChangedAt,
                ]
                try db.cachedStatement(
                    sql: """
                        INSERT INTO items (model, key, fields, version, deleted, lastChangedAt) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (model, key) DO UPDATE SET fields = excluded.fields, version = excluded.version,
                        deleted = excluded.deleted, lastChangedAt = excluded.lastChangedAt
                        """
                ).execute(arguments: arguments)
                try db.cachedStatement(
                    sql: """
                        INSERT INTO changes (model, key, fields, version, deleted, lastChangedAt)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: arguments)
                return true
            }
            if committed { followers.withLock { for signal in $0.signals.values { signal.notify() } } }
            return committed
        } catch {
            throw .storage(error, "writing \(model) \(key)")
        }
    }

    /// Calls `ring` after commits until cancelled; see ``ItemStore``.
    public func followCommits(_ ring: @escaping @Sendable () -> Void) async throws(AppSyncError) {
        // A signal per follower: one pending wake-up stands for any number of commits.
        let signal = WorkSignal()
        let number = followers.withLock { followers in
            defer { followers.next += 1 }
            followers.signals[followers.next] = signal
            return followers.next
        }
        defer { followers.withLock { _ = $0.signals.removeValue(forKey: number) } }
        signal.notify()
        for await _ in signal.wakeUps { ring() }
    }

    /// A page of `model`'s items; see ``ItemStore``.
    public func items(
        _ model: String,
        after key: String?,
        limit: Int
    ) async throws(AppSyncError)
        -> [(key: String, item: StoredItem)]
    {
        let page: [(String, StoredItem)] = try await read(
            sql.items(model, after: key, limit: limit),
            doing: "reading \(model) items"
        )
        return page.map { (key: $0.0, item: $0.1) }
    }

    /// A page of `model`'s items; see ``ItemStore``.
    public func items(
        _ model: String,
        in range: KeyRange,
        after position: RangePosition?,
        limit: Int
    ) async throws(AppSyncError) -> [(position: RangePosition, item: StoredItem)] {
        let statement = sql.items(model, in: range, index: index(for: model, range), after: position, limit: limit)
        do {
            return try await database.read { db in
                let rows = try Row.fetchCursor(db.cachedStatement(sql: statement.sql), arguments: statement.arguments)
                var page: [(position: RangePosition, item: StoredItem)] = []
                while let row = try rows.next() {
                    let sortValue: FieldValue =
                        switch (row[0] as DatabaseValue).storage {
                        case .int64(let number): .int(Int(number))
                        case .double(let number): .double(number)
                        case .string(let text): .string(text)
                        case .null, .blob: .null
                        }
                    page.append((RangePosition(sortValue: sortValue, key: row[1]), try Self.decode(row, offset: 2)))
                }
                return page
            }
        } catch {
            throw .storage(error, "reading a key range of \(model) items")
        }
    }

    /// SQLite's plan for a page of `range` (for tests: which index a read uses).
    func plan(_ model: String, in range: KeyRange, after position: RangePosition? = nil) async throws -> String {
        let statement = sql.items(model, in: range, index: index(for: model, range), after: position, limit: 10)
        return try await database.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + statement.sql, arguments: statement.arguments)
                .map { $0["detail"] as String }.joined(separator: "\n")
        }
    }

    /// Creates the indexes key reads need; see ``ItemStore``.
    public func prepare(_ indexes: [KeyIndex]) async throws(AppSyncError) {
        let statements = indexes.compactMap { index in
            sql.create(index, named: "\"\(index.name)\"").map { (index.name, $0) }
        }
        guard !statements.isEmpty else { return }
        do {
            try await database.write { db in
                for (_, statement) in statements { try db.execute(sql: statement) }
            }
        } catch {
            throw .storage(error, "creating the indexes of key reads")
        }
        preparedIndexes.withLock { $0.formUnion(statements.map(\.0)) }
    }

    /// The quoted name of the index this store made for reads of `range`, if it made one.
    private func index(for model: String, _ range: KeyRange) -> String? {
        let name = KeyIndex(model: model, range: range).name
        return preparedIndexes.withLock { $0.contains(name) } ? "\"\(name)\"" : nil
    }

    /// A page of `model`'s log records after `lastSync`; see ``ItemStore``.
    public func changes(
        _ model: String,
        since: Int64,
        after position: Int64,
        limit: Int
    ) async throws(AppSyncError)
        -> [(position: Int64, item: StoredItem)]
    {
        let page: [(Int64, StoredItem)] = try await read(
            sql.changes(model, since: since, after: position, limit: limit),
            doing: "reading \(model) changes"
        )
        return page.map { (position: $0.0, item: $0.1) }
    }

    /// The log records after `position`, in commit order; see ``ItemStore``.
    public func log(after position: Int64, limit: Int) async throws(AppSyncError) -> [LogRecord] {
        let statement = sql.log(after: position, limit: limit)
        do {
            return try await database.read { db in
                let rows = try Row.fetchCursor(db.cachedStatement(sql: statement.sql), arguments: statement.arguments)
                var records: [LogRecord] = []
                while let row = try rows.next() {
                    records.append(LogRecord(position: row[0], model: row[1], item: try Self.decode(row, offset: 2)))
                }
                return records
            }
        } catch {
            throw .storage(error, "reading the delta log")
        }
    }

    /// The log's newest position; see ``ItemStore``.
    public func lastPosition() async throws(AppSyncError) -> Int64 {
        do {
            // The AUTOINCREMENT counter, not MAX(position): a purged log keeps counting from it.
            return try await database.read { db in
                try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'changes'") ?? 0
            }
        } catch {
            throw .storage(error, "reading the delta log's position")
        }
    }

    /// Runs a SELECT of a position column followed by an item's columns.
    private func read<Position: DatabaseValueConvertible & Sendable>(
        _ statement: ItemSQL.Statement,
        doing: String
    ) async throws(AppSyncError) -> [(Position, StoredItem)] {
        do {
            return try await database.read { db in
                let rows = try Row.fetchCursor(db.cachedStatement(sql: statement.sql), arguments: statement.arguments)
                var page: [(Position, StoredItem)] = []
                while let row = try rows.next() { page.append((row[0], try Self.decode(row, offset: 1))) }
                return page
            }
        } catch {
            throw .storage(error, doing)
        }
    }

    /// Deletes expired tombstones and log records; see ``ItemStore``.
    public func purge(tombstonesBefore: Int64, changesBefore: Int64) async throws(AppSyncError) {
        let statements = sql.purge(tombstonesBefore: tombstonesBefore, changesBefore: changesBefore)
        do {
            try await database.write { db in
                for statement in statements { try db.execute(sql: statement.sql, arguments: statement.arguments) }
            }
        } catch {
            throw .storage(error, "purging expired tombstones and changes")
        }
    }

    /// Closes the store's connections.
    public func close() async {
        try? database.close()
    }
}

extension ItemSQL.Statement {
    /// The parameters as GRDB binds them.
    fileprivate var arguments: StatementArguments {
        StatementArguments(
            parameters.map { parameter -> any DatabaseValueConvertible in
                switch parameter {
                case .text(let text): text
                case .integer(let number): number
                }
            }
        )
    }
}
