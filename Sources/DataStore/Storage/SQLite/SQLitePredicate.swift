import GRDB

/// SQL text with its bound arguments.
struct SQLFragment {
    var sql: String
    var arguments: [DatabaseValue]
}

/// Compiles resolved predicates to SQL `WHERE` expressions with bound parameters.
///
/// Every test compiles to an expression that is 0 or 1, never NULL: a test on a nullable column is
/// guarded with `IS NOT NULL`, so `NOT` of a test on a null value is true, exactly as the in-memory
/// evaluator says. Positive tests stay in forms SQLite's planner can serve from an index
/// (`=`, `<`, `BETWEEN`, `IN`, and prefix ranges for `beginsWith`).
enum SQLitePredicateCompiler {
    /// Lists longer than this are bound as one JSON array instead of one parameter per value.
    static let inlineListLimit = 64

    static func compile(_ predicate: ResolvedPredicate, schema: ModelSchema) -> SQLFragment {
        var arguments: [DatabaseValue] = []
        let sql = compile(predicate, schema, into: &arguments)
        return SQLFragment(sql: sql, arguments: arguments)
    }

    private static func compile(
        _ predicate: ResolvedPredicate,
        _ schema: ModelSchema,
        into arguments: inout [DatabaseValue]
    ) -> String {
        switch predicate {
        case .constant(let value):
            return value ? "1" : "0"
        case .and(let operands):
            return "(" + operands.map { compile($0, schema, into: &arguments) }.joined(separator: " AND ") + ")"
        case .or(let operands):
            return "(" + operands.map { compile($0, schema, into: &arguments) }.joined(separator: " OR ") + ")"
        case .not(let operand):
            return "NOT " + compile(operand, schema, into: &arguments)
        case .test(let index, let field, let test):
            return compile(test, on: field, column: schema.columns[index], into: &arguments)
        case .related(let join, let inner):
            return compileRelated(join, inner, into: &arguments)
        }
    }

    /// `local IN (SELECT target FROM Target WHERE …)`: a semi-join whose subquery does not depend
    /// on the outer row, so SQLite runs it once and can serve both sides from indexes. Nested
    /// relations nest the same way; every subquery reads one table, so unqualified column names
    /// always mean that table's columns.
    private static func compileRelated(
        _ join: RelationJoin,
        _ inner: ResolvedPredicate,
        into arguments: inout [DatabaseValue]
    ) -> String {
        let local = join.localIndices.map { (join.source.fields[$0], quoteIdentifier(join.source.columns[$0])) }
        let target = join.targetIndices.map { (join.target.fields[$0], quoteIdentifier(join.target.columns[$0])) }
        // Null keys relate to nothing; excluding them also keeps IN from yielding NULL.
        var conditions = target.filter { !$0.0.isRequired }.map { "\($0.1) IS NOT NULL" }
        if !inner.isAlwaysTrue { conditions.append(compile(inner, join.target, into: &arguments)) }
        var select =
            "SELECT \(target.map(\.1).joined(separator: ", ")) FROM " + quoteIdentifier(join.target.name)
        if !conditions.isEmpty { select += " WHERE " + conditions.joined(separator: " AND ") }
        let columns = local.map(\.1)
        let test = (columns.count == 1 ? columns[0] : "(\(columns.joined(separator: ", ")))") + " IN (\(select))"
        let guards = local.filter { !$0.0.isRequired }.map { "\($0.1) IS NOT NULL" }
        return "(" + (guards + [test]).joined(separator: " AND ") + ")"
    }

    private static func compile(
        _ test: PredicateOperator,
        on field: ModelField,
        column name: String,
        into arguments: inout [DatabaseValue]
    )
        -> String
    {
        let column = quoteIdentifier(name)
        /// `column IS NOT NULL AND <test>`, or just the test for a NOT NULL column.
        func guarded(_ expression: String) -> String {
            field.isRequired ? "(\(expression))" : "(\(column) IS NOT NULL AND \(expression))"
        }
        func bind(_ value: FieldValue) -> String {
            arguments.append(value.databaseValue)
            return "?"
        }
        switch test {
        case .eq(let value): return guarded("\(column) = \(bind(value))")
        case .ne(let value): return "NOT " + guarded("\(column) = \(bind(value))")
        case .lt(let value): return guarded("\(column) < \(bind(value))")
        case .le(let value): return guarded("\(column) <= \(bind(value))")
        case .gt(let value): return guarded("\(column) > \(bind(value))")
        case .ge(let value): return guarded("\(column) >= \(bind(value))")
        case .between(let lower, let upper):
            return guarded("\(column) BETWEEN \(bind(lower)) AND \(bind(upper))")
        case .beginsWith(let prefix):
            // Every string starting with `prefix` is >= prefix and < prefix || 0xFF, because no
            // UTF-8 text contains the byte 0xFF; this range is served by an index.
            return guarded("\(column) >= \(bind(.string(prefix))) AND \(column) < (\(bind(.string(prefix))) || X'FF')")
        case .contains(let value):
            return containsSQL(value, field: field, column: column, guarded: guarded, bind: bind)
        case .notContains(let value):
            return "NOT " + containsSQL(value, field: field, column: column, guarded: guarded, bind: bind)
        case .in(let values):
            return inSQL(values, column: column, guarded: guarded, bind: bind)
        case .notIn(let values):
            return "NOT " + inSQL(values, column: column, guarded: guarded, bind: bind)
        case .attributeExists(let exists):
            return "(\(column) IS \(exists ? "NOT " : "")NULL)"
        }
    }

    private static func containsSQL(
        _ value: FieldValue,
        field: ModelField,
        column: String,
        guarded: (String) -> String,
        bind: (FieldValue) -> String
    ) -> String {
        if case .list = field.type {
            return guarded("EXISTS (SELECT 1 FROM json_each(\(column)) WHERE json_each.value = \(bind(value)))")
        }
        // instr compares bytes, like DynamoDB's contains; strings never hold U+0000.
        return guarded("instr(\(column), \(bind(value))) > 0")
    }

    private static func inSQL(
        _ values: [FieldValue],
        column: String,
        guarded: (String) -> String,
        bind: (FieldValue) -> String
    ) -> String {
        if values.isEmpty { return "0" }
        if values.count > inlineListLimit {
            return guarded(
                "\(column) IN (SELECT value FROM json_each(\(bind(.string(FieldValue.list(values).jsonText)))))"
            )
        }
        return guarded("\(column) IN (\(values.map(bind).joined(separator: ",")))")
    }

    /// `ORDER BY …` for the sort keys, with the primary key as the final tie-breaker.
    static func orderBy(_ keys: [ResolvedSortKey], schema: ModelSchema) -> String {
        guard !keys.isEmpty else { return "" }
        var terms = keys.map { "\(quoteIdentifier(schema.column($0.field.name))) \($0.ascending ? "ASC" : "DESC")" }
        for key in schema.primaryKey where !keys.contains(where: { $0.field.name == key }) {
            terms.append("\(quoteIdentifier(schema.column(key))) ASC")
        }
        return " ORDER BY " + terms.joined(separator: ", ")
    }
}
