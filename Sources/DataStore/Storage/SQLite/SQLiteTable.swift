import GRDB

/// How a field is stored in an SQLite column.
enum SQLiteColumnKind: Sendable {
    case text, integer, real, boolean, json

    init(_ type: FieldType) {
        switch type {
        case .int, .timestamp: self = .integer
        case .float: self = .real
        case .boolean: self = .boolean
        case .list, .embedded: self = .json
        default: self = .text
        }
    }

    /// The STRICT column type.
    var declaration: String {
        switch self {
        case .text, .json: "TEXT"
        case .integer, .boolean: "INTEGER"
        case .real: "REAL"
        }
    }
}

/// Quotes an SQL identifier. Names are validated as GraphQL names before they get here; quoting
/// still doubles any `"` so that no name can break out of the identifier.
func quoteIdentifier(_ name: String) -> String {
    "\"" + name.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
}

/// A model's table: column kinds and the statements the adapter runs, built once per store.
struct SQLiteTable: Sendable {
    let schema: ModelSchema
    let quotedName: String
    let columns: [String]
    let kinds: [SQLiteColumnKind]
    /// `"a","b",…`
    let columnList: String
    /// `SELECT "a","b",… FROM "T"`
    let selectSQL: String
    let insertSQL: String
    /// Inserts unless a row with the same primary key exists (then changes nothing).
    let insertOrIgnoreSQL: String
    /// nil when every column is part of the primary key.
    let updateSQL: String?
    let selectByIDSQL: String
    let existsByIDSQL: String
    let deleteByIDSQL: String
    /// Positions of the non-key fields, in the order ``updateSQL`` binds them.
    let nonKeyIndices: [Int]

    init(schema: ModelSchema) {
        self.schema = schema
        quotedName = quoteIdentifier(schema.name)
        columns = schema.columns
        kinds = schema.fields.map { SQLiteColumnKind($0.type) }
        columnList = columns.map(quoteIdentifier).joined(separator: ",")
        selectSQL = "SELECT \(columnList) FROM \(quotedName)"
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ",")
        insertSQL = "INSERT INTO \(quotedName) (\(columnList)) VALUES (\(placeholders))"
        insertOrIgnoreSQL = "INSERT OR IGNORE INTO \(quotedName) (\(columnList)) VALUES (\(placeholders))"
        let keyCondition = schema.primaryKey.map { "\(quoteIdentifier(schema.column($0))) = ?" }.joined(
            separator: " AND "
        )
        let keySet = Set(schema.primaryKeyIndices)
        nonKeyIndices = schema.fields.indices.filter { !keySet.contains($0) }
        if nonKeyIndices.isEmpty {
            updateSQL = nil
        } else {
            let assignments = nonKeyIndices.map { "\(quoteIdentifier(schema.columns[$0])) = ?" }
            updateSQL = "UPDATE \(quotedName) SET \(assignments.joined(separator: ", ")) WHERE \(keyCondition)"
        }
        selectByIDSQL = "\(selectSQL) WHERE \(keyCondition)"
        existsByIDSQL = "SELECT 1 FROM \(quotedName) WHERE \(keyCondition)"
        deleteByIDSQL = "DELETE FROM \(quotedName) WHERE \(keyCondition) RETURNING \(columnList)"
        layout = SQLiteRowLayout(kinds: kinds, nullable: schema.fields.map { !$0.isRequired })
    }

    // MARK: DDL

    var createTableSQL: String {
        let columnDefinitions = zip(schema.fields, kinds).map { field, kind in
            "\(quoteIdentifier(schema.column(field.name))) \(kind.declaration)\(field.isRequired ? " NOT NULL" : "")"
        }
        let key = schema.primaryKey.map { quoteIdentifier(schema.column($0)) }.joined(separator: ", ")
        return "CREATE TABLE \(quotedName) (\(columnDefinitions.joined(separator: ", ")), PRIMARY KEY (\(key))) STRICT"
    }

    func addColumnSQL(_ field: ModelField) -> String {
        let kind = SQLiteColumnKind(field.type)
        return "ALTER TABLE \(quotedName) ADD COLUMN \(quoteIdentifier(schema.column(field.name))) \(kind.declaration)"
    }

    func renameColumnSQL(from old: String, to new: String) -> String {
        "ALTER TABLE \(quotedName) RENAME COLUMN \(quoteIdentifier(old)) TO \(quoteIdentifier(new))"
    }

    /// SQLite index names are global; ours are `<Model>__<index>`.
    func indexName(_ index: ModelIndex) -> String { "\(schema.name)__\(index.name)" }

    func createIndexSQL(_ index: ModelIndex) -> String {
        let columns = index.fields.map { quoteIdentifier(schema.column($0)) }.joined(separator: ", ")
        return "CREATE INDEX \(quoteIdentifier(indexName(index))) ON \(quotedName) (\(columns))"
    }

    // MARK: Rows

    /// How rows of the table decode; shared by the rows of one query.
    let layout: SQLiteRowLayout

    /// The row's values, in schema order. The row's columns must be ``columns``.
    func decode(_ row: Row) throws(DataStoreError) -> [FieldValue] {
        var values: [FieldValue] = []
        try decode(row, into: &values)
        return values
    }

    /// Replaces `values` with the row's values, reusing its storage when nothing else holds it
    /// (one allocation per query instead of one per row).
    func decode(_ row: Row, into values: inout [FieldValue]) throws(DataStoreError) {
        values.removeAll(keepingCapacity: true)
        values.reserveCapacity(kinds.count)
        for index in kinds.indices {
            do {
                values.append(try layout.value(row, at: index))
            } catch {
                throw DataStoreError(
                    code: .decodingFailed,
                    message:
                        "The stored value \(error.reason). The store was changed outside swift-datastore or is damaged.",
                    model: schema.name,
                    field: columns[index]
                )
            }
        }
    }

    /// Decodes a model straight from the current row of a cursor, without an intermediate array.
    func decode<M: Model>(
        _ type: M.Type,
        from source: SQLiteRowSource,
        context: RelationContext
    )
        throws(DataStoreError) -> M
    {
        do {
            return try M(fieldValues: FieldValues(source: source, context: context))
        } catch {
            throw schema.decodingError(error)
        }
    }

    // GRDB's initializer for sequences of concrete values maps through a key path, which is not
    // specialized across modules and dominated the cost of a save; the existential-array
    // initializer is several times cheaper.

    /// Arguments binding `values[index]` for each index, in order.
    static func arguments(_ values: [FieldValue], at indices: [Int]) -> StatementArguments {
        var bound: [(any DatabaseValueConvertible)?] = []
        bound.reserveCapacity(indices.count)
        for index in indices { bound.append(values[index].databaseValue) }
        return StatementArguments(bound)
    }

    /// Arguments binding already converted values (a compiled predicate's, a page's), in order.
    static func arguments(_ values: [DatabaseValue]) -> StatementArguments {
        var bound: [(any DatabaseValueConvertible)?] = []
        bound.reserveCapacity(values.count)
        for value in values { bound.append(value) }
        return StatementArguments(bound)
    }

    /// Arguments binding all `values` in column order.
    static func arguments(_ values: [FieldValue]) -> StatementArguments {
        var bound: [(any DatabaseValueConvertible)?] = []
        bound.reserveCapacity(values.count)
        for value in values { bound.append(value.databaseValue) }
        return StatementArguments(bound)
    }
}

extension FieldValue {
    /// The SQLite value stored for this value.
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .bool(let value): (value ? 1 : 0 as Int64).databaseValue
        case .int(let value): Int64(value).databaseValue
        case .double(let value): value.databaseValue
        case .string(let value): value.databaseValue
        case .list, .object: jsonText.databaseValue
        }
    }
}

/// The column kinds of a table's rows. A class, so that a row source is two references and fits
/// in an existential without allocating.
final class SQLiteRowLayout: Sendable {
    let kinds: [SQLiteColumnKind]
    /// Whether each column may hold NULL (NOT NULL columns skip the check).
    let nullable: [Bool]

    init(kinds: [SQLiteColumnKind], nullable: [Bool]) {
        self.kinds = kinds
        self.nullable = nullable
    }

    /// The value of column `index` of `row`.
    func value(_ row: Row, at index: Int) throws(FieldValueError) -> FieldValue {
        if nullable[index], row.hasNull(atIndex: index) { return .null }
        switch kinds[index] {
        case .text:
            return .string(row[index] as String)
        case .integer:
            return .int(Int(row[index] as Int64))
        case .real:
            return .double(row[index] as Double)
        case .boolean:
            return .bool((row[index] as Int64) != 0)
        case .json:
            let text: String = row[index]
            do {
                return try FieldValue(jsonText: text)
            } catch {
                throw FieldValueError("is not valid JSON (\(error))")
            }
        }
    }
}

/// Field values read on demand from the current row of a cursor. One per query: the cursor's
/// row object is reused from row to row.
final class SQLiteRowSource: FieldValueSource {
    let row: Row
    let layout: SQLiteRowLayout

    init(row: Row, layout: SQLiteRowLayout) {
        self.row = row
        self.layout = layout
    }

    override var count: Int { layout.kinds.count }

    override func value(at index: Int) throws(FieldValueError) -> FieldValue {
        try layout.value(row, at: index)
    }
}
