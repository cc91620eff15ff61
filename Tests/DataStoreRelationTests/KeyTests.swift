import DataStoreTestSupport
import DataStoreTesting
import Foundation
import GRDB
import RelationModels
import Testing

@testable import DataStore

@Suite("Custom and composite primary keys, and secondary indexes")
struct KeyTests {
    @Test(
        "a composite-key model round-trips through save, query, update, observe and delete",
        arguments: TemporaryStorage.allCases
    )
    func compositeLifecycle(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let customer = try await store.save(Customer(email: "c@example.com", name: "C"))
            var order = Order(customer: customer, number: 7, total: 10)
            var changes = store.observe(Order.self, byIdentifier: order.identifier).makeAsyncIterator()
            var all = store.observe(Order.self).makeAsyncIterator()

            try await store.save(order)
            // Same email, another number: a different order.
            let sibling = try await store.save(Order(customer: customer, number: 8, total: 1))
            #expect(try await store.count(Order.self) == 2)
            #expect(
                try await store.query(
                    Order.self,
                    byIdentifier: Order.identifier(customerEmail: "c@example.com", number: 7)
                ) == order
            )

            order.total = 12.5
            try await store.save(order, where: \.total == 10)
            #expect(try await store.query(Order.self, byIdentifier: order.identifier)?.total == 12.5)
            #expect(try await store.count(Order.self) == 2)

            #expect(try await store.delete(Order.self, byIdentifier: order.identifier) == order)
            #expect(try await store.query(Order.self, byIdentifier: order.identifier) == nil)
            #expect(try await store.query(Order.self).map(\.identifier) == [sibling.identifier])

            let kinds = [
                try await changes.next()?.kind, try await changes.next()?.kind, try await changes.next()?.kind,
            ]
            #expect(kinds == [.created, .updated, .deleted])
            var seen: [String] = []
            for _ in 0..<4 { seen.append(try await all.next().map { "\($0.kind) \($0.model.identifier)" } ?? "") }
            #expect(
                seen == [
                    "created c@example.com#7", "created c@example.com#8", "updated c@example.com#7",
                    "deleted c@example.com#7",
                ]
            )
        }
    }

    @Test("the outbox names a composite-key model by its full key", arguments: TemporaryStorage.allCases)
    func compositeOutbox(kind: TemporaryStorage) async throws {
        try await withStore(kind, outboxEnabled: true) { store in
            let customer = try await store.save(Customer(email: "c@example.com", name: "C"))
            var order = try await store.save(Order(customer: customer, number: 7, total: 10))
            try await store.save(Order(customer: customer, number: 8, total: 1))
            // Sent: later writes of order 7 are entries of their own.
            try await store.engine.setOutboxInFlight(try await store.engine.outboxEntries().map(\.sequence), true)
            order.total = 11
            try await store.save(order)
            try await store.delete(order)
            let entries = try await store.engine.outboxEntries().filter { $0.modelName == "Order" }
            #expect(
                entries.map(\.modelID) == ["c@example.com#7", "c@example.com#8", "c@example.com#7"]
            )
            // The unsent update and the delete of order 7 merged into the delete.
            #expect(entries.map(\.kind) == [.create, .create, .delete])
            // The payload carries every key field, so a receiver can rebuild the key.
            let deleted = try #require(entries.last?.payload)
            #expect(deleted.contains("\"customerEmail\":\"c@example.com\""))
            #expect(deleted.contains("\"number\":7"))
        }
    }

    @Test("a custom single-field key: Customer by email")
    func customKey() async throws {
        try await withStore { store in
            let customer = try await store.save(Customer(email: "e@example.com", name: "E"))
            #expect(try await store.query(Customer.self, byID: "e@example.com") == customer)
            #expect(
                try await store.query(Customer.self, byIdentifier: Customer.identifier(email: "e@example.com"))
                    == customer
            )
            var renamed = customer
            renamed.name = "F"
            try await store.save(renamed)
            #expect(try await store.query(Customer.self).map(\.name) == ["F"])
        }
    }

    @Test("an identifier that does not fit the key is refused")
    func badIdentifiers() async throws {
        try await withStore { store in
            var error = await expectDataStoreError(.invalidQuery) {
                _ = try await store.query(Order.self, byIdentifier: ModelKey(["c@example.com"]))
            }
            #expect(error?.message.contains("2 part(s)") == true)
            error = await expectDataStoreError(.invalidQuery) {
                _ = try await store.query(Order.self, byIdentifier: ModelKey(["c@example.com", "seven"]))
            }
            #expect(error?.field == "number")
            await expectDataStoreError(.invalidQuery) { _ = try await store.query(Order.self, byID: "c@example.com") }
            await expectDataStoreError(.invalidQuery) {
                _ = try await store.delete(Order.self, byIdentifier: ModelKey([.int(1), .int(2)]))
            }
        }
    }

    /// The plan SQLite chooses for a query, through the store's own SQL.
    static func plan<M: Model>(
        _ type: M.Type,
        _ predicate: QueryPredicate<M>,
        sort: QuerySort<M>? = nil
    ) async throws -> String {
        let models = try RegisteredModels(AppModels.models)
        let queue = try DatabaseQueue()
        let tables = models.schemas.map(SQLiteTable.init)
        let schema = M.schema
        let resolved = try predicate.predicate.resolve(against: schema, models: models)
        let fragment = SQLitePredicateCompiler.compile(resolved, schema: schema)
        var sql = "EXPLAIN QUERY PLAN \(SQLiteTable(schema: schema).selectSQL) WHERE \(fragment.sql)"
        if let sort {
            let keys = sort.keys.map { key in
                let index = schema.fieldIndex(named: key.field!)!
                return ResolvedSortKey(fieldIndex: index, field: schema.fields[index], ascending: key.ascending)
            }
            sql += SQLitePredicateCompiler.orderBy(keys, schema: schema)
        }
        let statement = sql
        return try await queue.write { db in
            for table in tables {
                try db.execute(sql: table.createTableSQL)
                for index in table.schema.indexes { try db.execute(sql: table.createIndexSQL(index)) }
            }
            return try Row.fetchAll(db, sql: statement, arguments: StatementArguments(fragment.arguments))
                .map { $0["detail"] as String }.joined(separator: " / ")
        }
    }

    @Test("secondary indexes serve relation keys, sort keys and relation predicates")
    func queryPlans() async throws {
        // A post's comments: the byPost index.
        var plan = try await Self.plan(Comment.self, \.postID == "p")
        #expect(plan.contains("SEARCH Comment USING INDEX Comment__byPost (postID=?)"), "\(plan)")
        // A blog's posts sorted by rating: the byBlog index on (blogID, rating) also orders them;
        // only ties are sorted (by primary key).
        plan = try await Self.plan(Post.self, \.blogID == "b", sort: .descending(\.rating))
        #expect(plan.contains("SEARCH Post USING INDEX Post__byBlog (blogID=?)"), "\(plan)")
        #expect(!plan.contains("TEMP B-TREE FOR ORDER BY"), "\(plan)")
        // Composite primary key prefix.
        plan = try await Self.plan(Order.self, \.customerEmail == "c")
        #expect(plan.contains("SEARCH Order USING") && plan.contains("(customerEmail=?)"), "\(plan)")
        // Comments of well-rated posts: the subquery runs once; comments are found by the index.
        plan = try await Self.plan(Comment.self, Comment.post.matching(\.rating > 4))
        #expect(plan.contains("Comment__byPost (postID=?)"), "\(plan)")
        #expect(!plan.contains("CORRELATED"), "\(plan)")
        // Posts with a comment: the comments' index answers the subquery.
        plan = try await Self.plan(Post.self, Post.comments.matching(.all))
        #expect(plan.contains("Comment__byPost"), "\(plan)")
        // A hasMany by `references`: modelgen indexes the children's key (gsi-Order.lines), so a
        // parent's lines are a search.
        plan = try await Self.plan(OrderLine.self, \.orderCustomerEmail == "c" && \.orderNumber == 1)
        #expect(plan.contains("OrderLine__gsi-Order.lines (orderCustomerEmail=? AND orderNumber=?)"), "\(plan)")
    }
}
