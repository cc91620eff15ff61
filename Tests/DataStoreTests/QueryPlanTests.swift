import BlogModels
import GRDB
import Testing

@testable import DataStore

@Suite("Compiled SQL uses indexes")
struct QueryPlanTests {
    /// The query plan SQLite chooses for `predicate` on Everything (indexes byCount and byName).
    func plan(_ predicate: QueryPredicate<Everything>, sort: [SortKey] = []) async throws -> String {
        let queue = try DatabaseQueue()
        let schema = Everything.schema
        let table = SQLiteTable(schema: schema)
        let request = FetchRequest(
            predicate: try predicate.predicate.resolve(against: schema),
            sort: sort.map { key in
                let index = schema.fieldIndex(named: key.field!)!
                return ResolvedSortKey(fieldIndex: index, field: schema.fields[index], ascending: key.ascending)
            }
        )
        let fragment = SQLitePredicateCompiler.compile(request.predicate, schema: schema)
        let sql =
            "EXPLAIN QUERY PLAN \(table.selectSQL) WHERE \(fragment.sql)"
            + SQLitePredicateCompiler.orderBy(request.sort, schema: schema)
        return try await queue.write { db in
            try db.execute(sql: table.createTableSQL)
            for index in schema.indexes { try db.execute(sql: table.createIndexSQL(index)) }
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(fragment.arguments))
                .map { $0["detail"] as String }.joined(separator: " / ")
        }
    }

    @Test("equality, ranges, IN and beginsWith on indexed fields are index searches")
    func indexedPredicates() async throws {
        let cases: [(String, QueryPredicate<Everything>, String)] = [
            ("eq", \.count == 3, "Everything__byCount (count=?)"),
            ("range", \.count > 3, "Everything__byCount (count>?)"),
            ("between", .between(\.count, 1, 5), "Everything__byCount (count>? AND count<?)"),
            ("in", .in(\.count, [1, 2]), "Everything__byCount (count=?)"),
            ("long in", .in(\.count, Array(1...100)), "Everything__byCount (count=?)"),
            ("beginsWith", .beginsWith(\.name, "ab"), "Everything__byName (name>? AND name<?)"),
            (
                "composite", \.name == "a" && \.moment > Temporal.DateTime(millisecondsSince1970: 0)!,
                "Everything__byName (name=? AND moment>?)"
            ),
            ("primary key", \.id == "x", "sqlite_autoindex_Everything_1 (id=?)"),
        ]
        for (label, predicate, expected) in cases {
            let plan = try await plan(predicate)
            #expect(plan.contains("SEARCH") && plan.contains(expected), "\(label): \(plan)")
        }
    }

    @Test("a sort on an indexed field is served by the index; only ties are sorted, by primary key")
    func indexedSort() async throws {
        let plan = try await plan(\.count > 0, sort: [SortKey(field: "count", ascending: true)])
        #expect(plan.contains("SEARCH Everything USING INDEX Everything__byCount"), "\(plan)")
        #expect(!plan.contains("TEMP B-TREE FOR ORDER BY"), "\(plan)")
    }

    @Test("negations scan, and still return the right rows (see the differential tests)")
    func negationsScan() async throws {
        let plan = try await plan(\.count != 3)
        #expect(plan.contains("SCAN"), "\(plan)")
    }
}
