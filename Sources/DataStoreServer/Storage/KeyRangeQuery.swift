import DataStore

/// The SQL of key range reads (``KeyRange``) and of the indexes that serve them, for SQLite or
/// PostgreSQL.
///
/// Values are bound parameters, as JSON text that the database parses with the function it
/// parses stored items with, so an operand and a stored value of the same JSON compare equal.
/// Field names are written into the SQL as quoted literals (an index on an expression serves
/// only a query that spells the expression the same way, which a bound parameter does not), and
/// only names of letters, digits and underscores are: any other name is bound too, and that read
/// scans instead of using an index.
struct KeyRangeQuery {
    typealias Dialect = ItemSQL.Dialect
    typealias Parameter = ItemSQL.Parameter

    /// The statement; its first column is the sort value (as text on PostgreSQL), then the key,
    /// then the item's columns.
    private(set) var sql = ""
    private(set) var parameters: [Parameter] = []
    private let dialect: Dialect

    /// - Parameters:
    ///   - table: The items table, quoted as the store needs it.
    ///   - index: The index to read with (SQLite's `INDEXED BY`; the store made it), or nil to
    ///     leave the choice to the database.
    ///   - columns: The item's columns after the key (fields, version, deleted, time of change).
    init(
        dialect: Dialect,
        table: String,
        index: String? = nil,
        columns: String,
        model: String,
        range: KeyRange,
        after position: RangePosition?,
        limit: Int
    ) {
        self.dialect = dialect
        let modelParameter = bind(.text(model))
        let sort = sortExpression(range.sortKey)
        var conditions = ["model = \(modelParameter)"]
        for (name, value) in range.equal.sorted(by: { $0.key < $1.key }) {
            conditions.append(equality(field: name, value: value))
        }
        if let sort {
            conditions.append("\(sort) IS NOT NULL")
            if let condition = range.condition {
                conditions.append(self.condition(condition, on: sort, numeric: range.sortKey.isNumeric))
            }
        }
        let comparison = range.descending ? "<" : ">"
        if let position {
            let key = bind(.text(position.key))
            if let sort {
                // A row value, which both databases compare in order and seek in an index.
                let last = operand(position.sortValue, numeric: range.sortKey.isNumeric)
                conditions.append("(\(sort), key) \(comparison) (\(last), \(key))")
            } else {
                conditions.append("key \(comparison) \(key)")
            }
        }
        let direction = range.descending ? "DESC" : "ASC"
        let selected: String
        switch (dialect, sort) {
        case (.sqlite, let sort?): selected = sort
        case (.postgres, let sort?): selected = "(\(sort))::text"
        case (_, nil): selected = "NULL"
        }
        let order = (sort.map { ["\($0) \(direction)"] } ?? []) + ["key \(direction)"]
        let source = index.map { "\(table) INDEXED BY \($0)" } ?? table
        sql = """
            SELECT \(selected), key, \(columns) FROM \(source)
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY \(order.joined(separator: ", ")) LIMIT \(bind(.integer(Int64(limit))))
            """
    }

    /// The index that serves the reads of `model`'s items with the fields `equal` fixed, in the
    /// order of `sortKey`: the model, the fixed fields, the sort key and the stored key, as the
    /// reads spell them. Nil when a name is not one to write into SQL.
    static func index(
        dialect: Dialect,
        table: String,
        name: String,
        equal: [String],
        sortKey: KeyRange.SortKey
    ) -> String? {
        var query = KeyRangeQuery(dialect: dialect)
        var columns = ["model"]
        for field in equal.sorted() {
            columns.append(query.equalityExpression(field))
        }
        if let sort = query.sortExpression(sortKey) { columns.append(sort) }
        // A name that had to be bound cannot be part of an index.
        guard query.parameters.isEmpty else { return nil }
        columns.append("key")
        return "CREATE INDEX IF NOT EXISTS \(name) ON \(table) (\(columns.joined(separator: ", ")))"
    }

    private init(dialect: Dialect) {
        self.dialect = dialect
    }

    /// Adds a parameter and returns its placeholder.
    private mutating func bind(_ parameter: Parameter) -> String {
        parameters.append(parameter)
        return dialect.placeholder(parameters.count)
    }

    /// A field name as a quoted SQL literal of `form`, when it is safe to write into SQL; otherwise
    /// a bound parameter.
    private mutating func literal(_ name: String, _ form: (String) -> String) -> String {
        let isSafe =
            !name.isEmpty && name.utf8.count <= 255
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                    true
                default: false
                }
            }
        return isSafe ? "'\(form(name))'" : bind(.text(form(name)))
    }

    /// A stored field's value: the SQL value of its JSON (SQLite), or its text (PostgreSQL).
    private mutating func field(_ name: String) -> String {
        switch dialect {
        case .sqlite: "json_extract(fields, \(literal(name) { "$.\"\($0)\"" }))"
        case .postgres: "(fields::jsonb ->> \(literal(name) { $0 }))"
        }
    }

    /// The expression an equality on a field compares.
    private mutating func equalityExpression(_ name: String) -> String {
        switch dialect {
        case .sqlite: field(name)
        case .postgres: "(fields::jsonb -> \(literal(name) { $0 }))"
        }
    }

    private mutating func equality(field name: String, value: FieldValue) -> String {
        let expression = equalityExpression(name)
        switch dialect {
        case .sqlite:
            return "\(expression) = json_extract(\(bind(.text(value.jsonText))), '$')"
        case .postgres:
            return "\(expression) = \(bind(.text(value.jsonText)))::jsonb"
        }
    }

    /// The sort key's value per item, or nil when the range has no sort key.
    private mutating func sortExpression(_ sortKey: KeyRange.SortKey) -> String? {
        switch (sortKey, dialect) {
        case (.none, _):
            return nil
        case (.field(let name, _), .sqlite):
            // SQLite's JSON values compare as numbers or as text (BINARY: UTF-8 bytes) by type.
            return field(name)
        case (.field(let name, numeric: true), .postgres):
            return "(\(field(name))::numeric)"
        case (.field(let name, numeric: false), .postgres):
            return "(\(field(name)) COLLATE \"C\")"
        case (.composite(let names), _):
            var parts: [String] = []
            for name in names { parts.append(field(name)) }
            let joined = parts.joined(separator: " || '#' || ")
            return dialect == .sqlite ? "(\(joined))" : "((\(joined)) COLLATE \"C\")"
        }
    }

    /// A value in the form the sort expression has.
    private mutating func operand(_ value: FieldValue, numeric: Bool) -> String {
        let parameter = bind(.text(value.jsonText))
        switch dialect {
        case .sqlite: return "json_extract(\(parameter), '$')"
        case .postgres:
            return numeric
                ? "((\(parameter)::jsonb #>> '{}')::numeric)" : "((\(parameter)::jsonb #>> '{}') COLLATE \"C\")"
        }
    }

    private mutating func condition(_ condition: KeyRange.Condition, on sort: String, numeric: Bool) -> String {
        switch condition {
        case .equal(let value): return "\(sort) = \(operand(value, numeric: numeric))"
        case .less(let value): return "\(sort) < \(operand(value, numeric: numeric))"
        case .lessOrEqual(let value): return "\(sort) <= \(operand(value, numeric: numeric))"
        case .greater(let value): return "\(sort) > \(operand(value, numeric: numeric))"
        case .greaterOrEqual(let value): return "\(sort) >= \(operand(value, numeric: numeric))"
        case .between(let low, let high):
            return "\(sort) BETWEEN \(operand(low, numeric: numeric)) AND \(operand(high, numeric: numeric))"
        case .beginsWith(let prefix):
            // Every text that begins with the prefix sorts at or after it: the lower bound lets an
            // index seek to the first match.
            let value = operand(.string(prefix), numeric: false)
            switch dialect {
            case .sqlite: return "\(sort) >= \(value) AND substr(\(sort), 1, length(\(value))) = \(value)"
            case .postgres: return "\(sort) >= \(value) AND starts_with(\(sort), \(value))"
            }
        }
    }
}

extension KeyRange.SortKey {
    var isNumeric: Bool {
        if case .field(_, numeric: true) = self { return true }
        return false
    }
}
