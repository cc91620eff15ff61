import BlogModels
import DataStoreTestSupport
import DataStoreTesting
import Foundation
import Testing

@testable import DataStore

@Suite("Predicates")
struct PredicateTests {
    /// Rows with nulls, mixed case, unicode and boundary values.
    static let rows: [Everything] = {
        func make(_ id: String, _ build: (inout Everything) -> Void) -> Everything {
            var row = Everything()
            row.id = id
            build(&row)
            return row
        }
        return [
            make("a") {
                $0.name = "apple"
                $0.count = 1
                $0.amount = 1.5
                $0.flag = true
                $0.tags = ["red", "fruit"]
                $0.status = .active
            },
            make("b") {
                $0.name = "Apple"
                $0.count = 2
                $0.amount = 2
                $0.flag = false
                $0.tags = []
                $0.status = .inactive
            },
            make("c") {
                $0.name = "banana"
                $0.count = nil
                $0.amount = nil
                $0.flag = nil
                $0.tags = nil
            },
            make("d") {
                $0.name = "applesauce"
                $0.count = 10
                $0.amount = -0.5
                $0.tags = ["fruit"]
                $0.scores = [1, 2, 3]
            },
            make("e") {
                $0.name = "é"
                $0.count = 0
                $0.scores = []
            },
            make("f") {
                $0.name = "e\u{301}"
                $0.count = -3
            },
            make("g") {
                $0.name = ""
                $0.count = 2
                $0.moment = Temporal.DateTime(millisecondsSince1970: 1_000)
            },
        ]
    }()

    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let predicate: QueryPredicate<Everything>
        let expected: Set<String>
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "eq string is case-sensitive", predicate: \.name == "apple", expected: ["a"]),
        Case(label: "eq compares bytes, not canonical equivalence", predicate: \.name == "é", expected: ["e"]),
        Case(label: "ne is true for null", predicate: \.count != 2, expected: ["a", "c", "d", "e", "f"]),
        Case(label: "lt is false for null", predicate: \.count < 2, expected: ["a", "e", "f"]),
        Case(label: "le", predicate: \.count <= 2, expected: ["a", "b", "e", "f", "g"]),
        Case(label: "gt", predicate: \.count > 1, expected: ["b", "d", "g"]),
        Case(label: "ge", predicate: \.count >= 10, expected: ["d"]),
        Case(label: "between includes both ends", predicate: .between(\.count, 0, 2), expected: ["a", "b", "e", "g"]),
        Case(label: "between with lower > upper matches nothing", predicate: .between(\.count, 5, 1), expected: []),
        Case(label: "string order is byte order", predicate: \.name > "apple", expected: ["c", "d", "e", "f"]),
        Case(label: "beginsWith", predicate: .beginsWith(\.name, "apple"), expected: ["a", "d"]),
        Case(
            label: "beginsWith empty matches every non-null",
            predicate: .beginsWith(\.name, ""),
            expected: ["a", "b", "c", "d", "e", "f", "g"]
        ),
        Case(label: "contains substring", predicate: .contains(\.name, "pp"), expected: ["a", "b", "d"]),
        Case(label: "contains combining mark", predicate: .contains(\.name, "\u{301}"), expected: ["f"]),
        Case(
            label: "notContains is true for null",
            predicate: .notContains(\.json, "x"),
            expected: ["a", "b", "c", "d", "e", "f", "g"]
        ),
        Case(label: "list contains", predicate: .contains(\.tags, "fruit"), expected: ["a", "d"]),
        Case(
            label: "list notContains is true for null lists",
            predicate: .notContains(\.tags, "fruit"),
            expected: ["b", "c", "e", "f", "g"]
        ),
        Case(label: "int list contains", predicate: .contains(\.scores, 2), expected: ["d"]),
        Case(label: "in", predicate: .in(\.count, [1, 10, 99]), expected: ["a", "d"]),
        Case(label: "in empty matches nothing", predicate: .in(\.count, []), expected: []),
        Case(label: "notIn is true for null", predicate: .notIn(\.count, [1, 2]), expected: ["c", "d", "e", "f"]),
        Case(label: "in with a long list", predicate: .in(\.count, Array(2...200)), expected: ["b", "d", "g"]),
        Case(label: "attributeExists", predicate: .attributeExists(\.count), expected: ["a", "b", "d", "e", "f", "g"]),
        Case(label: "attributeExists false", predicate: .attributeExists(\.count, false), expected: ["c"]),
        Case(label: "== nil", predicate: \.amount == nil, expected: ["c", "e", "f", "g"]),
        Case(label: "!= nil", predicate: \.amount != nil, expected: ["a", "b", "d"]),
        Case(label: "Float compares numerically", predicate: \.amount >= 1.5, expected: ["a", "b"]),
        Case(label: "Boolean equality", predicate: \.flag == false, expected: ["b"]),
        Case(label: "Boolean ne includes null", predicate: \.flag != true, expected: ["b", "c", "d", "e", "f", "g"]),
        Case(label: "enum equality by raw value", predicate: \.status == .inactive, expected: ["b"]),
        Case(
            label: "date-time comparison",
            predicate: \.moment < Temporal.DateTime(millisecondsSince1970: 5_000)!,
            expected: ["g"]
        ),
        Case(label: "and", predicate: \.count > 0 && .beginsWith(\.name, "a"), expected: ["a", "d"]),
        Case(label: "or", predicate: \.count == 1 || \.name == "banana", expected: ["a", "c"]),
        Case(label: "not of a test on null is true", predicate: !(\.count > 1), expected: ["a", "c", "e", "f"]),
        Case(label: "not of not", predicate: !(!(\.count > 1)), expected: ["b", "d", "g"]),
        Case(label: "all", predicate: .all, expected: ["a", "b", "c", "d", "e", "f", "g"]),
        Case(label: "not all", predicate: !.all, expected: []),
    ]

    @Test("operator semantics", arguments: TemporaryStorage.allCases, cases)
    func operators(kind: TemporaryStorage, testCase: Case) async throws {
        try await withStore(kind) { store in
            try await store.save(Self.rows)
            let ids = try await store.query(Everything.self, where: testCase.predicate).map(\.id)
            #expect(Set(ids) == testCase.expected)
            #expect(ids.count == testCase.expected.count)
            let counted = try await store.count(Everything.self, where: testCase.predicate)
            #expect(counted == testCase.expected.count)
        }
    }

    @Test("result builder: implicit AND, Or, And, Not, if and for")
    func builder() async throws {
        try await withStore { store in
            try await store.save(Self.rows)
            let includeNegative = true
            let names = ["apple", "banana"]
            let result = try await store.query(Everything.self) {
                \.count != nil
                Or {
                    QueryPredicate.beginsWith(\.name, "app")
                    \.count < 0
                    if includeNegative { \.count == -3 }
                }
                Not {
                    \.name == "applesauce"
                }
            }
            #expect(Set(result.map(\.id)) == ["a", "f"])
            let any = try await store.query(Everything.self) {
                Or {
                    for name in names { \.name == name }
                }
            }
            #expect(Set(any.map(\.id)) == ["a", "c"])
            let both = try await store.query(Everything.self) {
                And {
                    \.count > 0
                    \.count < 3
                }
            }
            #expect(Set(both.map(\.id)) == ["a", "b", "g"])
            let everything = try await store.query(Everything.self) {}
            #expect(everything.count == Self.rows.count)
        }
    }

    @Test("the ARCHITECTURE examples compile and run")
    func architectureExamples() async throws {
        try await withStore { store in
            try await store.save([
                Post(title: "a", rating: 5, status: .active), Post(title: "b", rating: 3, status: .active),
                Post(title: "c", rating: 9, status: .inactive),
            ])
            let good = try await store.query(
                Post.self,
                where: \.rating > 4,
                sort: .descending(\.rating),
                page: .init(index: 0, size: 100)
            )
            #expect(good.map(\.title) == ["c", "a"])
            let both = try await store.query(Post.self) {
                \.rating > 4
                \.status == .active
            }
            #expect(both.map(\.title) == ["a"])
            let any = try await store.query(Post.self, sort: .ascending(\.title)) {
                Or {
                    \.rating > 4
                    \.status == .active
                }
            }
            #expect(any.map(\.title) == ["a", "b", "c"])
        }
    }

    @Test("a key path that is not a stored field throws unknownField", arguments: TemporaryStorage.allCases)
    func unknownKeyPath(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let error = await expectDataStoreError(.unknownField) {
                _ = try await store.query(Post.self, where: \.shout == "X")
            }
            #expect(error?.model == "Post")
            await expectDataStoreError(.unknownField) {
                _ = try await store.query(Post.self, sort: .ascending(\.shout))
            }
            await expectDataStoreError(.unknownField) {
                try await store.delete(Post.self, where: .beginsWith(\.shout, "A"))
            }
        }
    }

    @Test("untyped predicates are checked against the schema")
    func untypedChecks() async throws {
        try await withStore { store in
            func query(_ predicate: ModelPredicate) async throws {
                _ = try await store.query(Everything.self, where: QueryPredicate(predicate))
            }
            let unknown = await expectDataStoreError(.unknownField) { try await query(.field("nope", .eq(1))) }
            #expect(unknown?.field == "nope")
            let wrongType = await expectDataStoreError(.invalidPredicate) { try await query(.field("count", .eq("1"))) }
            #expect(wrongType?.field == "count")
            await expectDataStoreError(.invalidPredicate) { try await query(.field("flag", .lt(.bool(true)))) }
            await expectDataStoreError(.invalidPredicate) { try await query(.field("count", .beginsWith("1"))) }
            await expectDataStoreError(.invalidPredicate) { try await query(.field("status", .eq("UNKNOWN"))) }
            await expectDataStoreError(.invalidPredicate) { try await query(.field("moment", .gt("yesterday"))) }
            await expectDataStoreError(.invalidPredicate) { try await query(.field("address", .eq("x"))) }
            await expectDataStoreError(.invalidPredicate) { try await query(.field("name", .eq("a\u{0}b"))) }
            await expectDataStoreError(.invalidPredicate) { try await query(.field("amount", .gt(.double(.nan)))) }
            // An Int operand on a Float field compares as a number; a date-time operand is normalized.
            try await store.save(Self.rows)
            let numeric = try await store.query(Everything.self, where: QueryPredicate(.field("amount", .ge(2))))
            #expect(numeric.map(\.id) == ["b"])
            let moment = try await store.query(
                Everything.self,
                where: QueryPredicate(.field("moment", .eq("1970-01-01T01:00:01+01:00")))
            )
            #expect(moment.map(\.id) == ["g"])
        }
    }
}

@Suite("Documentation examples")
struct DocumentationExampleTests {
    @Test("the Predicates guide's examples compile and select what the guide says")
    func predicatesGuide() async throws {
        try await withStore { store in
            let cutoff: Temporal.DateTime? = Temporal.DateTime(millisecondsSince1970: 0)
            let titles = ["Draft: one", "b"]
            try await store.save([
                Post(id: "1", title: "Draft: one", rating: 5, status: .inactive).created(at: .now()),
                Post(id: "2", title: "b", rating: 9, status: .active).created(at: .now()),
                Post(id: "3", title: "c [archived]", rating: 9, status: .active).created(at: .now()),
                Post(id: "4", title: "d", rating: 1, status: .active),
            ])
            let posts = try await store.query(Post.self, sort: .ascending(\.title)) {
                \.rating > 4
                Or {
                    \.status == .active
                    QueryPredicate.beginsWith(\.title, "Draft:")
                }
                Not {
                    QueryPredicate.contains(\.title, "[archived]")
                }
                if let cutoff { \.createdAt > cutoff }
            }
            #expect(posts.map(\.id) == ["1", "2"])
            let named = try await store.query(Post.self) {
                Or {
                    for title in titles { \.title == title }
                }
            }
            #expect(Set(named.map(\.id)) == ["1", "2"])
            let standalone = QueryPredicate<Post> { \.rating > 4 }
            #expect(try await store.count(Post.self, where: standalone) == 3)
            let combined = try await store.query(
                Post.self,
                where: .beginsWith(\.title, "Draft") || .between(\.rating, 1, 3)
            )
            #expect(Set(combined.map(\.id)) == ["1", "4"])
            // The null table.
            var nullable = Everything()
            nullable.id = "null"
            var two = Everything()
            two.id = "two"
            two.count = 2
            var five = Everything()
            five.id = "five"
            five.count = 5
            try await store.save([nullable, two, five])
            func ids(_ predicate: QueryPredicate<Everything>) async throws -> Set<String> {
                Set(try await store.query(Everything.self, where: predicate).map(\.id))
            }
            #expect(try await ids(\.count > 4) == ["five"])
            #expect(try await ids(!(\.count > 4)) == ["two", "null"])
            #expect(try await ids(\.count != 5) == ["two", "null"])
            #expect(try await ids(.in(\.count, [5])) == ["five"])
            #expect(try await ids(.notIn(\.count, [5])) == ["two", "null"])
            #expect(try await ids(\.count == nil) == ["null"])
            #expect(try await ids(.notIn(\.count, [])) == ["two", "five", "null"])
        }
    }
}
