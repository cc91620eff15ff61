import DataStore

/// The SELECT that reads one page of a ``KeyRange``, for SQLite or PostgreSQL.
///
/// Every value is a bound parameter: field names are bound as JSON paths (SQLite) or keys
/// (PostgreSQL), and values as JSON text that the database parses with the same function it parses
/// stored items with, so an operand and a stored value of the same JSON compare equal.
struct KeyRangeQuery {
    enum Dialect {
        case sqlite, postgres
    }

    /// A bound parameter.
    enum Parameter: Equatable {
        case text(String)
        case integer(Int)
    }

    /// The statement; its first column is the sort value (as text on PostgreSQL), then the key,
    /// then the item's columns.
    private(set) var sql = ""
    private(set) var parameters: [Parameter] = []
    private let dialect: Dialect

    /// - Parameters:
    ///   - table: The items table, quoted as the store needs it.
    ///   - columns: The item's columns after the key (fields, version, deleted, time of change).
    init(
        dialect: Dialect,
        table: String,
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
        let ascending = !range.descending
        let comparison = ascending ? ">" : "<"
        if let position {
            let key = bind(.text(position.key))
            if let sort {
                let last = operand(position.sortValue, numeric: range.sortKey.isNumeric)
                conditions.append("(\(sort) \(comparison) \(last) OR (\(sort) = \(last) AND key \(comparison) \(key)))")
            } else {
                conditions.append("key \(comparison) \(key)")
            }
        }
        let direction = ascending ? "ASC" : "DESC"
        let selected: String
        switch (dialect, sort) {
        case (.sqlite, let sort?): selected = sort
        case (.postgres, let sort?): selected = "(\(sort))::text"
        case (_, nil): selected = "NULL"
        }
        let order = (sort.map { ["\($0) \(direction)"] } ?? []) + ["key \(direction)"]
        sql = """
            SELECT \(selected), key, \(columns) FROM \(table)
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY \(order.joined(separator: ", ")) LIMIT \(bind(.integer(limit)))
            """
    }

    /// Adds a parameter and returns its placeholder.
    private mutating func bind(_ parameter: Parameter) -> String {
        parameters.append(parameter)
        return dialect == .sqlite ? "?\(parameters.count)" : "$\(parameters.count)"
    }

    /// A stored field's value: the SQL value of its JSON (SQLite), or its text (PostgreSQL).
    private mutating func field(_ name: String) -> String {
        switch dialect {
        case .sqlite: "json_extract(fields, \(bind(.text("$.\"\(name)\""))))"
        case .postgres: "(fields::jsonb ->> \(bind(.text(name))))"
        }
    }

    private mutating func equality(field name: String, value: FieldValue) -> String {
        switch dialect {
        case .sqlite:
            return "\(field(name)) = json_extract(\(bind(.text(value.jsonText))), '$')"
        case .postgres:
            return "(fields::jsonb -> \(bind(.text(name)))) = \(bind(.text(value.jsonText)))::jsonb"
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
            let value = operand(.string(prefix), numeric: false)
            switch dialect {
            case .sqlite: return "substr(\(sort), 1, length(\(value))) = \(value)"
            case .postgres: return "starts_with(\(sort), \(value))"
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
