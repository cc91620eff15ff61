import Foundation
import GRDB

/// Stores models in SQLite through GRDB: a `DatabasePool` in WAL mode for files (reads run
/// concurrently with writes), a `DatabaseQueue` for in-memory databases.
final class SQLiteAdapter: StorageAdapter {
    /// The layout version of the system tables this build writes. A store with a higher version was
    /// written by a newer swift-datastore and is refused; a lower one is brought up to date.
    /// 2: the outbox's `version`, the sync state's `expression_hash`, the dead letters.
    static let formatVersion = 2

    private let writer: any DatabaseWriter
    let path: String?
    private var tables: [String: SQLiteTable] = [:]
    private var isClosed = false
    /// The file this adapter holds in ``OpenFiles``, while it is open.
    private var claimed: OpenFiles.File?

    /// Opens (or creates) the database. Blocking: call it from the engine's executor.
    init(path: String?, maximumSizeInBytes: Int?) throws(DataStoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.label = "swift-datastore"
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            if let maximumSizeInBytes {
                let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
                try db.execute(sql: "PRAGMA max_page_count = \(max(1, maximumSizeInBytes / pageSize))")
            }
        }
        do {
            if let path {
                writer = try DatabasePool(path: path, configuration: configuration)
            } else {
                writer = try DatabaseQueue(configuration: configuration)
            }
        } catch {
            throw Self.openError(error, path: path)
        }
        if let path {
            do {
                claimed = try OpenFiles.claim(path)
            } catch {
                try? writer.close()
                throw error
            }
        }
    }

    deinit {
        if let claimed { OpenFiles.release(claimed) }
    }

    /// An open failure, telling an unwritable directory from other reasons a file cannot be opened.
    private static func openError(_ error: any Error, path: String?) -> DataStoreError {
        let mapped = DataStoreError.sqlite(error, path: path)
        guard mapped.code == .cannotOpen, let path else { return mapped }
        let directory = (path as NSString).deletingLastPathComponent
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: directory.isEmpty ? "." : directory, isDirectory: &isDirectory) else {
            return DataStoreError(
                code: .cannotOpen,
                message: "The directory \(directory) does not exist. Create it before opening the store.",
                path: path,
                underlyingError: error
            )
        }
        if isDirectory.boolValue, !files.fileExists(atPath: path), !files.isWritableFile(atPath: directory) {
            return DataStoreError(
                code: .readOnlyStore,
                message: "The directory \(directory) is not writable, so the store cannot be created there. "
                    + "Choose a writable location.",
                path: path,
                underlyingError: error
            )
        }
        return mapped
    }

    var concurrentReader: (any ConcurrentStorageReader)? {
        guard !isClosed, let pool = writer as? DatabasePool else { return nil }
        return SQLiteConcurrentReader(reader: pool, tables: tables, path: path)
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        try? writer.close()
        if let claimed { OpenFiles.release(claimed) }
        claimed = nil
    }

    func transaction<T>(_ body: (any StorageTransaction) throws(DataStoreError) -> T) throws(DataStoreError) -> T {
        guard !isClosed else { throw .storeClosed() }
        do {
            return try writer.write { db in try body(SQLiteSession(db: db, tables: tables)) }
        } catch {
            throw DataStoreError.sqlite(error, path: path)
        }
    }

    func read<T>(_ body: (any StorageReading) throws(DataStoreError) -> T) throws(DataStoreError) -> T {
        guard !isClosed else { throw .storeClosed() }
        do {
            return try writer.read { db in try body(SQLiteSession(db: db, tables: tables)) }
        } catch {
            throw DataStoreError.sqlite(error, path: path)
        }
    }

    // MARK: Opening and migration

    func open(
        schemas: [ModelSchema],
        onIncompatibleSchema: IncompatibleSchemaPolicy
    ) throws(DataStoreError)
        -> OpenReport
    {
        let newTables = Dictionary(uniqueKeysWithValues: schemas.map { ($0.name, SQLiteTable(schema: $0)) })
        let report: OpenReport
        do {
            report = try writer.write { db in
                try Self.migrate(db, tables: newTables, schemas: schemas, policy: onIncompatibleSchema)
            }
        } catch {
            throw DataStoreError.sqlite(error, path: path)
        }
        tables = newTables
        return report
    }

    private static let metaTable = "__datastore_meta"

    private static func migrate(
        _ db: Database,
        tables: [String: SQLiteTable],
        schemas: [ModelSchema],
        policy: IncompatibleSchemaPolicy
    ) throws -> OpenReport {
        let canonical = SchemaVersion.canonicalText(of: schemas)
        let hash = SHA256.hexDigest(canonical)
        guard try db.tableExists(metaTable) else {
            let existing = try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
            if !existing.isEmpty {
                throw DataStoreError(
                    code: .notADatabase,
                    message: "The file is an SQLite database but not a swift-datastore store (it has tables "
                        + "\(existing.prefix(5).joined(separator: ", "))). It was left untouched."
                )
            }
            try createSystemTables(db)
            for table in tables.values { try createModelTable(table, in: db) }
            try writeMeta(db, canonical: canonical, hash: hash)
            return OpenReport()
        }
        let meta = try Dictionary(
            uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT key, value FROM \(quoteIdentifier(metaTable))")
                .map { ($0["key"] as String, $0["value"] as String) }
        )
        let storedFormat = Int(meta["format_version"] ?? "") ?? 0
        guard storedFormat <= formatVersion else {
            throw DataStoreError(
                code: .newerStore,
                message: "The store was written by a newer swift-datastore (storage format \(storedFormat); this "
                    + "build reads up to \(formatVersion)). Update the app; the store was left untouched."
            )
        }
        // Fails with SQLITE_READONLY now, rather than at the first save, when the file is read-only.
        try db.execute(sql: "UPDATE \"__datastore_meta\" SET \"value\" = \"value\" WHERE \"key\" = 'format_version'")
        if storedFormat < 2 {
            // Additive: the rows already stored keep their meaning.
            try db.execute(
                sql: """
                    ALTER TABLE "__datastore_outbox" ADD COLUMN "version" INTEGER;
                    ALTER TABLE "__datastore_model_sync_state" ADD COLUMN "expression_hash" TEXT;
                    """ + deadLettersTableSQL
            )
            try db.execute(
                sql: "UPDATE \"__datastore_meta\" SET \"value\" = ? WHERE \"key\" = 'format_version'",
                arguments: [String(formatVersion)]
            )
        }
        if meta["schema_hash"] == hash { return OpenReport() }
        let storedDescriptions: [FieldValue]
        do {
            guard case .list(let list) = try FieldValue(jsonText: meta["schema"] ?? "") else {
                throw JSONParseError(offset: 0, reason: "not a list")
            }
            storedDescriptions = list
        } catch {
            throw DataStoreError(
                code: .corruptDatabase,
                message: "The store's schema record is unreadable (\(error)). It was left untouched."
            )
        }
        let change = SchemaChange.between(
            stored: storedDescriptions,
            current: schemas.map(\.storageDescription)
        )
        var report = OpenReport(change: change)
        switch change {
        case .none:
            break
        case .additive:
            try migrateAdditively(db, tables: tables, stored: storedDescriptions)
        case .newer(let detail, let model, let field):
            throw DataStoreError(
                code: .newerStore,
                message: "The store was written by a newer schema: \(detail). Update the app; the store was "
                    + "left untouched.",
                model: model,
                field: field
            )
        case .incompatible(let detail, let model, let field):
            guard policy == .wipe else {
                throw DataStoreError(
                    code: .incompatibleSchema,
                    message: "The models changed in a way that cannot be migrated in place (\(detail)). The store "
                        + "was left untouched; open it with IncompatibleSchemaPolicy.wipe to start over.",
                    model: model,
                    field: field
                )
            }
            report.discardedMutations = try SQLiteSession(db: db, tables: [:]).outboxEntries()
            for description in storedDescriptions {
                if let name = description.stringMember("name") {
                    try db.execute(sql: "DROP TABLE IF EXISTS \(quoteIdentifier(name))")
                }
            }
            try db.execute(sql: "DELETE FROM \"__datastore_outbox\"")
            try db.execute(sql: "DELETE FROM \"__datastore_sync_metadata\"")
            try db.execute(sql: "DELETE FROM \"__datastore_model_sync_state\"")
            try db.execute(sql: "DELETE FROM \"__datastore_dead_letters\"")
            for table in tables.values { try createModelTable(table, in: db) }
        }
        try writeMeta(db, canonical: canonical, hash: hash)
        return report
    }

    private static func createSystemTables(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE "__datastore_meta" ("key" TEXT PRIMARY KEY NOT NULL, "value" TEXT NOT NULL) STRICT, WITHOUT ROWID;
                CREATE TABLE "__datastore_outbox" (
                    "sequence" INTEGER PRIMARY KEY AUTOINCREMENT,
                    "model" TEXT NOT NULL,
                    "model_id" TEXT NOT NULL,
                    "kind" TEXT NOT NULL CHECK ("kind" IN ('create', 'update', 'delete')),
                    "payload" TEXT NOT NULL,
                    "condition" TEXT,
                    "enqueued_at" INTEGER NOT NULL,
                    "in_flight" INTEGER NOT NULL DEFAULT 0,
                    "version" INTEGER
                ) STRICT;
                CREATE INDEX "__datastore_outbox_by_model" ON "__datastore_outbox" ("model", "model_id");
                CREATE TABLE "__datastore_sync_metadata" (
                    "model" TEXT NOT NULL,
                    "model_id" TEXT NOT NULL,
                    "version" INTEGER NOT NULL,
                    "last_changed_at" INTEGER NOT NULL,
                    "deleted" INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY ("model", "model_id")
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE "__datastore_model_sync_state" (
                    "model" TEXT PRIMARY KEY NOT NULL,
                    "last_sync" INTEGER,
                    "last_full_sync" INTEGER,
                    "expression_hash" TEXT
                ) STRICT, WITHOUT ROWID;
                """ + deadLettersTableSQL
        )
    }

    /// Mutations the backend refused for good (``DeadLetter``), with the outbox's columns.
    private static let deadLettersTableSQL = """
        CREATE TABLE "__datastore_dead_letters" (
            "sequence" INTEGER PRIMARY KEY NOT NULL,
            "model" TEXT NOT NULL,
            "model_id" TEXT NOT NULL,
            "kind" TEXT NOT NULL,
            "payload" TEXT NOT NULL,
            "condition" TEXT,
            "enqueued_at" INTEGER NOT NULL,
            "in_flight" INTEGER NOT NULL DEFAULT 0,
            "failed_at" INTEGER NOT NULL,
            "reason" TEXT NOT NULL
        ) STRICT;
        """

    private static func createModelTable(_ table: SQLiteTable, in db: Database) throws {
        try db.execute(sql: table.createTableSQL)
        for index in table.schema.indexes { try db.execute(sql: table.createIndexSQL(index)) }
    }

    private static func migrateAdditively(_ db: Database, tables: [String: SQLiteTable], stored: [FieldValue]) throws {
        let storedByName = Dictionary(
            stored.compactMap { d in d.stringMember("name").map { ($0, d) } },
            uniquingKeysWith: { a, _ in a }
        )
        for table in tables.values.sorted(by: { $0.schema.name < $1.schema.name }) {
            guard let old = storedByName[table.schema.name] else {
                try createModelTable(table, in: db)
                continue
            }
            let oldNames = old.listMember("fields").compactMap { $0.stringMember("name") }
            let oldFields = Set(oldNames)
            // A new field whose name differs from an old one only in case moves the old one's
            // column (see ModelSchema.storageColumns(for:)).
            for (name, oldColumn) in zip(oldNames, ModelSchema.storageColumns(for: oldNames))
            where table.schema.field(named: name) != nil && table.schema.column(name) != oldColumn {
                try db.execute(sql: table.renameColumnSQL(from: oldColumn, to: table.schema.column(name)))
            }
            for field in table.schema.fields where !oldFields.contains(field.name) {
                try db.execute(sql: table.addColumnSQL(field))
            }
            // Indexes: drop ours that changed or went away, create the missing ones.
            let prefix = "\(table.schema.name)__"
            let existing = try Row.fetchAll(
                db,
                sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?",
                arguments: [table.schema.name]
            )
            var existingSQL: [String: String] = [:]
            for row in existing {
                let name: String = row["name"]
                if name.hasPrefix(prefix), let sql = row["sql"] as String? { existingSQL[name] = sql }
            }
            let desired = Dictionary(
                uniqueKeysWithValues: table.schema.indexes.map { (table.indexName($0), table.createIndexSQL($0)) }
            )
            for (name, sql) in existingSQL where desired[name] != sql {
                try db.execute(sql: "DROP INDEX \(quoteIdentifier(name))")
            }
            for (name, sql) in desired where existingSQL[name] != sql {
                try db.execute(sql: sql)
            }
        }
    }

    private static func writeMeta(_ db: Database, canonical: String, hash: String) throws {
        let statement = try db.makeStatement(
            sql: "INSERT OR REPLACE INTO \"__datastore_meta\" (\"key\", \"value\") VALUES (?, ?)"
        )
        try statement.execute(arguments: ["format_version", String(formatVersion)])
        try statement.execute(arguments: ["schema_hash", hash])
        try statement.execute(arguments: ["schema", canonical])
    }
}

/// Concurrent reads on a `DatabasePool`'s reader connections.
struct SQLiteConcurrentReader: ConcurrentStorageReader {
    let reader: DatabasePool
    let tables: [String: SQLiteTable]
    let path: String?

    func read<T: Sendable>(
        _ body: @escaping @Sendable (any StorageReading) throws(DataStoreError) -> T
    )
        async throws(DataStoreError) -> T
    {
        let tables = self.tables
        do {
            return try await reader.read { db in try body(SQLiteSession(db: db, tables: tables)) }
        } catch {
            throw DataStoreError.sqlite(error, path: path)
        }
    }
}

/// The database files open in this process, by file identity (device and inode, so that links and
/// different spellings of one path are the same file).
///
/// Two stores on one file would each see only their own writes' changes, and two synced stores
/// would both send the same outbox: a file is open in one store at a time, and a second open is
/// refused with a clear error.
enum OpenFiles {
    struct File: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    private static let open = Locked<Set<File>>([])

    /// Records `path` (an existing file) as open; throws `cannotOpen` when it is already.
    static func claim(_ path: String) throws(DataStoreError) -> File {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw DataStoreError(
                code: .cannotOpen,
                message: "The store file \(path) vanished while it was being opened (errno \(errno)). Open it again.",
                path: path
            )
        }
        let file = File(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
        let inserted = open.withLock { $0.insert(file).inserted }
        guard inserted else {
            throw DataStoreError(
                code: .cannotOpen,
                message: "The store file \(path) is already open in this process. Share the one DataStore "
                    + "(it is Sendable), or close it before opening the file again.",
                path: path
            )
        }
        return file
    }

    static func release(_ file: File) {
        _ = open.withLock { $0.remove(file) }
    }
}
