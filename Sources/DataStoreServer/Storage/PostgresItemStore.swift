import DataStore
public import DataStoreAppSync
import Foundation
public import Logging
import PostgresNIO
public import ServiceLifecycle

/// The shared store: a PostgreSQL database, for more than one server process (or more load than
/// one machine takes) behind a load balancer.
///
/// Items are JSON text beside indexed metadata columns in the configured schema (`datastore` by
/// default); every write appends the item's new state to the `changes` log in the same statement,
/// one round trip. Writers never wait for each other beyond a row lock. They hold the shared side
/// of the schema's *log lock* while they write; a reader of the log takes its exclusive side for
/// the length of one read, which waits for the writes in flight to commit. So a reader never sees a
/// log record before an earlier-numbered one (positions come from a sequence, taken in one order
/// and committed in another), and a reader that remembers its position misses nothing.
/// Every commit sends a `NOTIFY`, which every server sharing the database receives
/// (``followCommits(_:)``, the doorbell of each server's subscriptions, its own writes included):
/// a subscriber on one server receives the writes made through another.
///
/// The store is a `Service`: its ``run()`` runs the connection pool, in the server's service group
/// beside the HTTP server (the group shuts the store down after the server). ``setUp()`` then
/// creates the tables; the server calls it before it serves. Outside a service group,
/// ``withStore(_:timeout:logger:_:)`` runs a store for the length of a closure.
public final class PostgresItemStore: ItemStore, Service {
    /// The schema holding the server's tables.
    public let schema: String
    let client: PostgresClient
    let logger: Logger
    /// The schema-qualified, quoted table names.
    let items: String
    private let changes: String
    private let settings: String
    /// The statements this store shares with the SQLite store.
    let sql: ItemSQL
    /// The `NOTIFY` channel of this schema's commits.
    private let channel: String
    /// The advisory lock key of this schema's log: writers take it shared, log readers exclusive.
    private let logLock: Int64
    /// How long ``setUp()`` waits for the database.
    let setUpTimeout: Duration
    /// Where the database is, for messages (no password).
    private let target: String
    /// The token key, once ``setUp()`` read it.
    private let secret = Locked<[UInt8]?>(nil)

    /// A store for the database `configuration` names. Nothing connects yet: ``run()`` runs the
    /// connections, ``setUp()`` readies the tables.
    ///
    /// - Parameters:
    ///   - configuration: where the database is.
    ///   - setUpTimeout: how long ``setUp()`` waits for the database.
    ///   - logger: where the connections log.
    /// - Throws: `AppSyncError` (`BadRequestException`) when the configuration is not valid.
    public init(
        _ configuration: Configuration,
        setUpTimeout: Duration = .seconds(15),
        logger: Logger = Logger(label: "datastore-server.postgres")
    ) throws(AppSyncError) {
        try configuration.validate()
        schema = configuration.schema
        client = PostgresClient(configuration: configuration.client, backgroundLogger: logger)
        self.logger = logger
        self.setUpTimeout = setUpTimeout
        target =
            "\(configuration.username)@\(configuration.host):\(configuration.port)/\(configuration.database ?? configuration.username)"
        let quoted = Self.quoted(schema)
        (items, changes, settings) = ("\(quoted).items", "\(quoted).changes", "\(quoted).settings")
        sql = ItemSQL(dialect: .postgres, items: items, changes: changes)
        channel = "datastore_commits_\(schema)"
        logLock = Self.lockKey("datastore-server log \(schema)")
    }

    /// `schema` as an SQL identifier (validated by ``Configuration``, so it needs no escaping).
    static func quoted(_ schema: String) -> String { "\"\(schema)\"" }

    /// A stable 64-bit key for `name` (FNV-1a), the same in every process.
    static func lockKey(_ name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int64(bitPattern: hash)
    }

    /// A store for the database `url` names (see ``Configuration/init(url:)``).
    ///
    /// - Parameters:
    ///   - url: the database's URL.
    ///   - setUpTimeout: how long ``setUp()`` waits for the database.
    ///   - logger: where the connections log.
    /// - Throws: `AppSyncError` (`BadRequestException`) when the URL is not valid.
    public convenience init(
        url: String,
        setUpTimeout: Duration = .seconds(15),
        logger: Logger = Logger(label: "datastore-server.postgres")
    ) throws(AppSyncError) {
        try self.init(Configuration(url: url), setUpTimeout: setUpTimeout, logger: logger)
    }

    /// Runs the store's connections until the task is cancelled or the service group shuts down
    /// gracefully.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.client.run() }
    }

    /// Creates the server's tables when they are missing and reads the token key; needs ``run()``
    /// running. Calling it again does nothing.
    ///
    /// - Throws: `AppSyncError` (`InternalFailureException`) when the database cannot be reached or
    ///   prepared within the set-up timeout; the message says which.
    public func setUp() async throws(AppSyncError) {
        if secret.withLock({ $0 }) != nil { return }
        let (client, schema, logger, timeout, target) = (client, schema, logger, setUpTimeout, target)
        do {
            let stored = try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                group.addTask { try await Self.migrate(client, schema: schema, logger: logger) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let stored = try await group.next() ?? nil else {
                    throw AppSyncError(
                        .internalFailure,
                        "Could not reach PostgreSQL at \(target) within \(timeout). Check that the server runs "
                            + "and accepts connections from here."
                    )
                }
                return stored
            }
            secret.withLock { $0 = stored }
        } catch let error as AppSyncError {
            throw error
        } catch {
            throw AppSyncError(
                .internalFailure,
                "Could not prepare the server's tables in PostgreSQL at \(target), schema \(schema): "
                    + "\(Self.describe(error)). Check the URL, the role's password and its right to create tables."
            )
        }
    }

    /// Runs a store of the database `configuration` names for the length of `body`: its
    /// connections in a child task, set up before `body` runs and ended after it (also when it
    /// throws).
    ///
    /// - Throws: what ``setUp()`` or `body` throws.
    public static func withStore<Result>(
        _ configuration: Configuration,
        timeout: Duration = .seconds(15),
        logger: Logger = Logger(label: "datastore-server.postgres"),
        _ body: (PostgresItemStore) async throws -> Result
    ) async throws -> Result {
        let store = try PostgresItemStore(configuration, setUpTimeout: timeout, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            defer { group.cancelAll() }
            try await store.setUp()
            return try await body(store)
        }
    }

    /// The key that signs page tokens, kept in the database so every server sharing it agrees.
    ///
    /// - Throws: `AppSyncError` (`InternalFailureException`) before ``setUp()`` succeeded.
    public var tokenSecret: [UInt8] {
        get throws(AppSyncError) {
            guard let secret = secret.withLock({ $0 }) else {
                throw AppSyncError(
                    .internalFailure,
                    "The PostgreSQL store of schema \(schema) is not set up; run it and call setUp() first."
                )
            }
            return secret
        }
    }

    /// Creates the schema's tables if they are missing, under a lock so that servers starting
    /// together do not race; returns the token key.
    private static func migrate(_ client: PostgresClient, schema: String, logger: Logger) async throws -> [UInt8] {
        let quoted = Self.quoted(schema)
        let fresh = Data((0..<32).map { _ in UInt8.random(in: 0...255) })
        return try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(\(lockKey("datastore-server migration \(schema)")))",
                logger: logger
            )
            for statement in [
                "CREATE SCHEMA IF NOT EXISTS \(quoted)",
                """
                CREATE TABLE IF NOT EXISTS \(quoted).items (
                    model text COLLATE "C" NOT NULL,
                    key text COLLATE "C" NOT NULL,
                    fields text NOT NULL,
                    version bigint NOT NULL,
                    deleted boolean NOT NULL,
                    last_changed_at bigint NOT NULL,
                    PRIMARY KEY (model, key)
                )
                """,
                "CREATE INDEX IF NOT EXISTS items_tombstones ON \(quoted).items (last_changed_at) WHERE deleted",
                """
                CREATE TABLE IF NOT EXISTS \(quoted).changes (
                    position bigserial PRIMARY KEY,
                    model text COLLATE "C" NOT NULL,
                    key text COLLATE "C" NOT NULL,
                    fields text NOT NULL,
                    version bigint NOT NULL,
                    deleted boolean NOT NULL,
                    last_changed_at bigint NOT NULL
                )
                """,
                "CREATE INDEX IF NOT EXISTS changes_by_model ON \(quoted).changes (model, position)",
                "CREATE INDEX IF NOT EXISTS changes_by_time ON \(quoted).changes (last_changed_at)",
                "CREATE TABLE IF NOT EXISTS \(quoted).settings (name text PRIMARY KEY, value bytea NOT NULL)",
            ] {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            // Created once, with the tables; every later start reads the same key.
            try await connection.query(
                "INSERT INTO \(unescaped: quoted).settings (name, value) VALUES ('tokenSecret', \(fresh)) ON CONFLICT DO NOTHING",
                logger: logger
            )
            let rows = try await connection.query(
                "SELECT value FROM \(unescaped: quoted).settings WHERE name = 'tokenSecret'",
                logger: logger
            )
            for try await stored in rows.decode(Data.self) where stored.count == 32 {
                return Array(stored)
            }
            throw AppSyncError(
                .internalFailure,
                "The database's token key (schema \(schema), table settings) is damaged."
            )
        }
    }

    /// A PostgreSQL error as text: the server's own message and SQLSTATE when it sent one.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo, let message = info[.message] {
            return "\(message) (SQLSTATE \(info[.sqlState] ?? "?"))"
        }
        return error.underlying.map { "\(error.code): \($0)" } ?? "\(error.code)"
    }

    func failure(_ error: any Error, _ doing: String) -> AppSyncError {
        .storage(Self.describe(error), doing)
    }

    /// Runs `query` and decodes each row with `transform`.
    ///
    /// A read of the log passes `waitingForWrites`: it runs once every write in flight has
    /// committed (the exclusive side of the log lock waits for them, and writes that start
    /// meanwhile wait for the read), so it never sees a position before an earlier one.
    func rows<Value: Sendable>(
        _ query: PostgresQuery,
        doing: String,
        waitingForWrites: Bool = false,
        _ transform: @escaping @Sendable (PostgresRandomAccessRow) throws -> Value
    ) async throws(AppSyncError) -> [Value] {
        let (logger, logLock) = (self.logger, self.logLock)
        do {
            guard waitingForWrites else {
                return try await Self.decodeAll(client.query(query, logger: logger), transform)
            }
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(logLock))", logger: logger)
                return try await Self.decodeAll(connection.query(query, logger: logger), transform)
            }
        } catch {
            throw failure(error, doing)
        }
    }

    private static func decodeAll<Value>(
        _ rows: PostgresRowSequence,
        _ transform: (PostgresRandomAccessRow) throws -> Value
    ) async throws -> [Value] {
        var values: [Value] = []
        for try await row in rows { values.append(try transform(row.makeRandomAccess())) }
        return values
    }

    /// Decodes an item from the columns fields, version, deleted, last_changed_at starting at `offset`.
    static func decode(_ row: PostgresRandomAccessRow, offset: Int) throws -> StoredItem {
        guard case .object(let fields) = try FieldValue(jsonText: try row[offset].decode(String.self)) else {
            throw AppSyncError(.internalFailure, "A stored item is not a JSON object.")
        }
        return StoredItem(
            fields: fields,
            version: try row[offset + 1].decode(Int.self),
            isDeleted: try row[offset + 2].decode(Bool.self),
            lastChangedAt: try row[offset + 3].decode(Int64.self)
        )
    }

    /// The item of `model` with `key`, tombstones included; see ``ItemStore``.
    public func item(_ model: String, key: String) async throws(AppSyncError) -> StoredItem? {
        try await rows(sql.item(model, key: key).query, doing: "reading \(model) \(key)") {
            try Self.decode($0, offset: 0)
        }.first
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
        let (version, deleted, changedAt) = (item.version, item.isDeleted, item.lastChangedAt)
        // One statement, so one round trip and one implicit transaction: the shared log lock, the
        // conditional write, and, only if the write happened, its log record and the notification
        // every follower (this server's hub too) receives on commit. The lock comes first: the
        // write reads it before changing a row.
        let write =
            expected == nil
            ? """
            INSERT INTO \(items) (model, key, fields, version, deleted, last_changed_at)
            SELECT $1, $2, $3, $4, $5, $6 FROM locked ON CONFLICT (model, key) DO NOTHING RETURNING 1
            """
            : """
            UPDATE \(items) SET fields = $3, version = $4, deleted = $5, last_changed_at = $6
            WHERE model = $1 AND key = $2 AND version = $9 AND EXISTS (SELECT FROM locked) RETURNING 1
            """
        var binds = PostgresBindings()
        binds.append(model)
        binds.append(key)
        binds.append(fields)
        binds.append(version)
        binds.append(deleted)
        binds.append(changedAt)
        binds.append(channel)
        binds.append(logLock)
        if let expected { binds.append(expected) }
        let query = PostgresQuery(
            unsafeSQL: """
                WITH locked AS (SELECT pg_advisory_xact_lock_shared($8)),
                written AS (\(write)),
                logged AS (
                    INSERT INTO \(changes) (model, key, fields, version, deleted, last_changed_at)
                    SELECT $1, $2, $3, $4, $5, $6 FROM written RETURNING 1
                )
                SELECT (SELECT count(*) FROM logged), (SELECT pg_notify($7, '') FROM logged)::text
                """,
            binds: binds
        )
        let written = try await rows(query, doing: "writing \(model) \(key)") { try $0[0].decode(Int64.self) }
        return written.first == 1
    }

    /// A page of `model`'s items; see ``ItemStore``.
    public func items(
        _ model: String,
        after key: String?,
        limit: Int
    ) async throws(AppSyncError)
        -> [(key: String, item: StoredItem)]
    {
        try await rows(sql.items(model, after: key, limit: limit).query, doing: "reading \(model) items") {
            (key: try $0[0].decode(String.self), item: try Self.decode($0, offset: 1))
        }
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
        try await rows(
            sql.changes(model, since: since, after: position, limit: limit).query,
            doing: "reading \(model) changes",
            waitingForWrites: true
        ) { (position: try $0[0].decode(Int64.self), item: try Self.decode($0, offset: 1)) }
    }

    /// The log records after `position`, in commit order; see ``ItemStore``.
    public func log(after position: Int64, limit: Int) async throws(AppSyncError) -> [LogRecord] {
        try await rows(
            sql.log(after: position, limit: limit).query,
            doing: "reading the delta log",
            waitingForWrites: true
        ) {
            LogRecord(
                position: try $0[0].decode(Int64.self),
                model: try $0[1].decode(String.self),
                item: try Self.decode($0, offset: 2)
            )
        }
    }

    /// The log's newest position; see ``ItemStore``.
    public func lastPosition() async throws(AppSyncError) -> Int64 {
        // The sequence, not MAX(position): a purged log keeps counting from it.
        let last = try await rows(
            PostgresQuery(
                unsafeSQL: "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM \(changes)_position_seq"
            ),
            doing: "reading the delta log's position",
            waitingForWrites: true
        ) { try $0[0].decode(Int64.self) }
        return last.first ?? 0
    }

    /// Calls `ring` after commits until cancelled; see ``ItemStore``.
    public func followCommits(_ ring: @escaping @Sendable () -> Void) async throws(AppSyncError) {
        let channel = self.channel
        do {
            try await client.withConnection { connection in
                try await connection.listen(on: channel) { notifications in
                    // Commits made while nobody listened are in the log: look once now.
                    ring()
                    for try await _ in notifications { ring() }
                }
            }
        } catch {
            if Task.isCancelled { return }
            throw failure(error, "listening for other servers' commits")
        }
    }

    /// Deletes expired tombstones and log records; see ``ItemStore``.
    public func purge(tombstonesBefore: Int64, changesBefore: Int64) async throws(AppSyncError) {
        let statements = sql.purge(tombstonesBefore: tombstonesBefore, changesBefore: changesBefore)
        do {
            try await client.withTransaction(logger: logger) { connection in
                for statement in statements { try await connection.query(statement.query, logger: logger) }
            }
        } catch {
            throw failure(error, "purging expired tombstones and changes")
        }
    }

    /// Nothing to release here: the connections end with ``run()``.
    public func close() async {}

    /// Removes the store's schema and everything in it: for tests that made one of their own.
    public func dropSchema() async throws(AppSyncError) {
        do {
            try await client.query(
                PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(Self.quoted(schema)) CASCADE"),
                logger: logger
            )
        } catch {
            throw failure(error, "dropping schema \(schema)")
        }
    }
}

extension ItemSQL.Statement {
    /// The statement as PostgresNIO sends it, its parameters bound.
    var query: PostgresQuery {
        var binds = PostgresBindings()
        for parameter in parameters {
            switch parameter {
            case .text(let text): binds.append(text)
            case .integer(let number): binds.append(number)
            }
        }
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }
}
