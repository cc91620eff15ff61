import DataStore

/// The reads and purges of the two item stores, spelled once for SQLite and PostgreSQL.
///
/// Both stores keep the same two tables — `items` (model, key, fields, version, deleted, time of
/// change) and the `changes` log (a position, then the same columns) — and differ in spelling
/// only: the placeholders (`?1`, `$1`), the time column (`lastChangedAt` in SQLite's file format,
/// `last_changed_at` in PostgreSQL's), and how a boolean column is tested. A store binds a
/// ``Statement``'s parameters in its own driver. The writes are not here: they differ in more
/// than spelling (SQLite's upsert inside a transaction; PostgreSQL's single conditional
/// statement that also takes the log lock and notifies the other servers).
struct ItemSQL: Sendable {
    enum Dialect: Sendable {
        case sqlite, postgres

        /// The placeholder of the `number`th parameter (from 1).
        func placeholder(_ number: Int) -> String {
            self == .sqlite ? "?\(number)" : "$\(number)"
        }
    }

    /// A bound parameter.
    enum Parameter: Equatable, Sendable {
        case text(String)
        case integer(Int64)
    }

    /// SQL text and the parameters its placeholders stand for, in order.
    struct Statement: Sendable {
        let sql: String
        let parameters: [Parameter]
    }

    let dialect: Dialect
    /// The items table and the log, quoted as the store needs them.
    let items: String
    let changes: String

    /// The column of the time of change.
    var changedAt: String {
        dialect == .sqlite ? "lastChangedAt" : "last_changed_at"
    }

    /// An item's columns, in the order the stores decode them.
    var itemColumns: String {
        "fields, version, deleted, \(changedAt)"
    }

    private func placeholder(_ number: Int) -> String {
        dialect.placeholder(number)
    }

    private var isTombstone: String {
        dialect == .sqlite ? "deleted = 1" : "deleted"
    }

    /// The item of `model` stored under `key`: the item's columns.
    func item(_ model: String, key: String) -> Statement {
        Statement(
            sql: "SELECT \(itemColumns) FROM \(items) WHERE model = \(placeholder(1)) AND key = \(placeholder(2))",
            parameters: [.text(model), .text(key)]
        )
    }

    /// A page of `model`'s items in key order after `key`: the key, then the item's columns.
    func items(_ model: String, after key: String?, limit: Int) -> Statement {
        Statement(
            sql: """
                SELECT key, \(itemColumns) FROM \(items)
                WHERE model = \(placeholder(1)) AND key > \(placeholder(2)) ORDER BY key LIMIT \(placeholder(3))
                """,
            parameters: [.text(model), .text(key ?? ""), .integer(Int64(limit))]
        )
    }

    /// A page of `model`'s log records after `position` changed at or after `since`: the
    /// position, then the item's columns.
    func changes(_ model: String, since: Int64, after position: Int64, limit: Int) -> Statement {
        Statement(
            sql: """
                SELECT position, \(itemColumns) FROM \(changes)
                WHERE model = \(placeholder(1)) AND position > \(placeholder(2)) AND \(changedAt) >= \(placeholder(3))
                ORDER BY position LIMIT \(placeholder(4))
                """,
            parameters: [.text(model), .integer(position), .integer(since), .integer(Int64(limit))]
        )
    }

    /// The log records after `position`, every model's, in commit order: the position, the model,
    /// then the item's columns.
    func log(after position: Int64, limit: Int) -> Statement {
        Statement(
            sql: """
                SELECT position, model, \(itemColumns) FROM \(changes)
                WHERE position > \(placeholder(1)) ORDER BY position LIMIT \(placeholder(2))
                """,
            parameters: [.integer(position), .integer(Int64(limit))]
        )
    }

    /// A page of `model`'s items in `range` (see ``KeyRangeQuery``): the sort value, the key, then
    /// the item's columns.
    ///
    /// - Parameter index: The index to read with (SQLite's `INDEXED BY`), or nil to leave the
    ///   choice to the database.
    func items(
        _ model: String,
        in range: KeyRange,
        index: String? = nil,
        after position: RangePosition?,
        limit: Int
    ) -> Statement {
        let query = KeyRangeQuery(
            dialect: dialect,
            table: items,
            index: index,
            columns: itemColumns,
            model: model,
            range: range,
            after: position,
            limit: limit
        )
        return Statement(sql: query.sql, parameters: query.parameters)
    }

    /// The statement that creates `index` (named `name`, quoted), or nil when the index cannot be
    /// written (see ``KeyRangeQuery/index(dialect:table:name:equal:sortKey:)``).
    func create(_ index: KeyIndex, named name: String) -> String? {
        KeyRangeQuery.index(dialect: dialect, table: items, name: name, equal: index.equal, sortKey: index.sortKey)
    }

    /// The deletes of tombstones older than `tombstonesBefore` and of log records older than
    /// `changesBefore`, to run in one transaction.
    func purge(tombstonesBefore: Int64, changesBefore: Int64) -> [Statement] {
        [
            Statement(
                sql: "DELETE FROM \(items) WHERE \(isTombstone) AND \(changedAt) < \(placeholder(1))",
                parameters: [.integer(tombstonesBefore)]
            ),
            Statement(
                sql: "DELETE FROM \(changes) WHERE \(changedAt) < \(placeholder(1))",
                parameters: [.integer(changesBefore)]
            ),
        ]
    }
}
