import BlogModels
import DataStoreTestSupport
import DataStoreTesting
import Foundation
import Testing

@testable import DataStore

/// The SQL compiler and the in-memory evaluator must agree on every predicate and every row.
@Suite("SQL and in-memory evaluation agree")
struct PredicateDifferentialTests {
    static let stringPieces = [
        "", "a", "A", "b", "ab", "abc", "é", "e\u{301}", "😀", "日本", "%", "_", "'", "\"", "\\", "ü", "z", "\u{7F}",
        "\u{10FFFF}", " ", "a b",
    ]
    static let ints = [-3, -1, 0, 1, 2, 3, 10, 100, Int(Int32.min), Int(Int32.max)]
    static let doubles = [-1.5, -0.0, 0, 0.5, 1, 2, 2.25, 1e10, -1e-10]
    static let moments = [0, 1, 1_000, 86_400_000, 1_764_000_000_123, -1_000].map {
        Temporal.DateTime(millisecondsSince1970: Int64($0))!
    }

    struct Generator {
        var random: SeededRandom

        mutating func string() -> String {
            (0..<Int.random(in: 0...3, using: &random)).map { _ in random.pick(PredicateDifferentialTests.stringPieces)
            }
            .joined()
        }

        mutating func optional<T>(_ make: (inout Generator) -> T) -> T? {
            random.chance(0.25) ? nil : make(&self)
        }

        mutating func row(_ index: Int) -> Everything {
            var row = Everything()
            row.id = String(format: "r%04d", index)
            row.name = string()
            row.count = optional { $0.random.pick(PredicateDifferentialTests.ints) }
            row.amount = optional { $0.random.pick(PredicateDifferentialTests.doubles) }
            row.flag = optional { $0.random.chance(0.5) }
            row.moment = optional { $0.random.pick(PredicateDifferentialTests.moments) }
            row.timestamp = optional { $0.random.pick(PredicateDifferentialTests.ints) * 1_000_000_000 }
            row.status = optional { $0.random.pick(PostStatus.allCases) }
            row.tags = optional { generator in
                (0..<Int.random(in: 0...3, using: &generator.random)).map { _ in generator.string() }
            }
            row.scores = optional { generator in
                (0..<Int.random(in: 0...3, using: &generator.random)).map { _ in
                    generator.random.pick(PredicateDifferentialTests.ints)
                }
            }
            return row
        }

        /// A random predicate over Everything's single-value and list fields.
        mutating func predicate(depth: Int = 0) -> ModelPredicate {
            if depth < 3, random.chance(0.35) {
                let count = Int.random(in: 0...3, using: &random)
                let operands = (0..<count).map { _ in predicate(depth: depth + 1) }
                switch Int.random(in: 0..<3, using: &random) {
                case 0: return .and(operands)
                case 1: return .or(operands)
                default: return .not(operands.first ?? predicate(depth: depth + 1))
                }
            }
            return leaf()
        }

        private mutating func leaf() -> ModelPredicate {
            enum Kind { case string, int, double, bool, moment, enumeration, stringList, intList }
            let (field, kind): (String, Kind) = random.pick([
                ("name", .string), ("count", .int), ("timestamp", .int), ("amount", .double), ("flag", .bool),
                ("moment", .moment), ("status", .enumeration), ("tags", .stringList), ("scores", .intList),
            ])
            func value(_ generator: inout Generator) -> FieldValue {
                switch kind {
                case .string, .stringList: return .string(generator.string())
                case .int, .intList:
                    let base = generator.random.pick(PredicateDifferentialTests.ints)
                    return .int(field == "timestamp" ? base * 1_000_000_000 : base)
                case .double:
                    // An Int operand on a Float field compares as a number.
                    return generator.random.chance(0.3)
                        ? .int(generator.random.pick([-1, 0, 1, 2]))
                        : .double(generator.random.pick(PredicateDifferentialTests.doubles))
                case .bool: return .bool(generator.random.chance(0.5))
                case .moment: return .string(generator.random.pick(PredicateDifferentialTests.moments).iso8601String)
                case .enumeration: return .string(generator.random.pick(PostStatus.allCases).rawValue)
                }
            }
            var tests: [PredicateOperator]
            switch kind {
            case .stringList, .intList:
                tests = [.contains(value(&self)), .notContains(value(&self)), .attributeExists(random.chance(0.5))]
            case .bool, .enumeration:
                tests = [.eq(value(&self)), .ne(value(&self)), .attributeExists(random.chance(0.5))]
                tests.append(.in((0..<Int.random(in: 0...2, using: &random)).map { _ in value(&self) }))
                tests.append(.notIn((0..<Int.random(in: 0...2, using: &random)).map { _ in value(&self) }))
            default:
                let (low, high) = (value(&self), value(&self))
                tests = [
                    .eq(value(&self)), .ne(value(&self)), .lt(value(&self)), .le(value(&self)), .gt(value(&self)),
                    .ge(value(&self)), .between(low, high), .attributeExists(random.chance(0.5)),
                    .in((0..<Int.random(in: 0...4, using: &random)).map { _ in value(&self) }),
                    .notIn((0..<Int.random(in: 0...4, using: &random)).map { _ in value(&self) }),
                ]
                if kind == .string {
                    tests += [.beginsWith(string()), .contains(.string(string())), .notContains(.string(string()))]
                }
            }
            return .field(field, random.pick(tests))
        }
    }

    @Test("≥ 10,000 random predicate/row pairs evaluate identically in SQL and in memory")
    func predicatesAgree() async throws {
        let seed = SeededRandom.seed(named: "predicates")
        print("PredicateDifferentialTests.predicatesAgree seed: \(seed) (replay with DATASTORE_TEST_SEED=\(seed))")
        var generator = Generator(random: SeededRandom(seed: seed))
        let rows = (0..<150).map { generator.row($0) }
        let predicates = (0..<250).map { _ in generator.predicate() }
        let schema = Everything.schema
        var pairs = 0
        try await withStore(.sqliteFile) { sqlite in
            try await withStore(.ephemeral) { memory in
                try await sqlite.save(rows)
                try await memory.save(rows)
                for predicate in predicates {
                    let resolved = try predicate.resolve(against: schema)
                    let expected = Set(rows.filter { resolved.evaluate($0.fieldValues) }.map(\.id))
                    let fromSQL = Set(
                        try await sqlite.query(Everything.self, where: QueryPredicate(predicate)).map(\.id)
                    )
                    let fromMemory = Set(
                        try await memory.query(Everything.self, where: QueryPredicate(predicate)).map(\.id)
                    )
                    pairs += rows.count
                    #expect(
                        fromSQL == expected,
                        "seed \(seed): \(predicate)\nSQL only: \(fromSQL.subtracting(expected)) memory only: \(expected.subtracting(fromSQL))"
                    )
                    #expect(fromMemory == expected, "seed \(seed): \(predicate)")
                }
            }
        }
        #expect(pairs >= 10_000)
    }

    @Test("a predicate written as an AppSync filter and read back selects the same rows")
    func graphQLFilterRoundTrip() throws {
        let seed = SeededRandom.seed(named: "filters")
        print(
            "PredicateDifferentialTests.graphQLFilterRoundTrip seed: \(seed) (replay with DATASTORE_TEST_SEED=\(seed))"
        )
        var generator = Generator(random: SeededRandom(seed: seed))
        let rows = (0..<150).map { generator.row($0) }
        let schema = Everything.schema
        for _ in 0..<250 {
            let predicate = generator.predicate()
            let resolved = try predicate.resolve(against: schema)
            let filter = resolved.graphQLFilter(schema: schema)
            // Through JSON text, as the filter travels.
            let parsed = try ModelPredicate(graphQLFilter: FieldValue(jsonText: filter.jsonText))
            let evaluator = try PredicateEvaluator(parsed, schema: schema)
            for row in rows {
                #expect(
                    evaluator.matches(row.fieldValues) == resolved.evaluate(row.fieldValues),
                    "seed \(seed): \(predicate)\nfilter: \(filter.jsonText)\nrow \(row.id)"
                )
            }
        }
    }

    @Test("filters that are not filters are refused with the path of the problem")
    func badGraphQLFilters() {
        for (filter, path) in [
            ("[1]", "filter"), ("{\"rating\": 4}", "filter.rating"),
            ("{\"rating\": {\"near\": 4}}", "filter.rating.near"),
            ("{\"or\": [{}, {\"title\": {\"between\": [1]}}]}", "filter.or[1].title.between"),
            ("{\"title\": {\"beginsWith\": 3}}", "filter.title.beginsWith"), ("{\"not\": 5}", "filter.not"),
            ("{\"title\": {\"size\": {\"eq\": 3}}}", "filter.title.size"),
        ] {
            do {
                _ = try ModelPredicate(graphQLFilter: FieldValue(jsonText: filter))
                Issue.record("accepted \(filter)")
            } catch let error as DataStoreError {
                #expect(error.code == .invalidPredicate && error.message.contains(path + " "), "\(filter): \(error)")
            } catch {
                Issue.record("\(filter): \(error)")
            }
        }
    }

    @Test("random multi-field sorts give the same order in SQL and in memory")
    func sortsAgree() async throws {
        let seed = SeededRandom.seed(named: "sorts")
        print("PredicateDifferentialTests.sortsAgree seed: \(seed) (replay with DATASTORE_TEST_SEED=\(seed))")
        var generator = Generator(random: SeededRandom(seed: seed))
        let rows = (0..<150).map { generator.row($0) }
        let fields = ["name", "count", "amount", "flag", "moment", "timestamp", "status"]
        try await withStore(.sqliteFile) { sqlite in
            try await withStore(.ephemeral) { memory in
                try await sqlite.save(rows)
                try await memory.save(rows)
                for _ in 0..<60 {
                    let keys = (0..<Int.random(in: 1...3, using: &generator.random)).map { _ in
                        SortKey(field: generator.random.pick(fields), ascending: generator.random.chance(0.5))
                    }
                    let sort = QuerySort<Everything>(keys: keys)
                    let fromSQL = try await sqlite.query(Everything.self, sort: sort).map(\.id)
                    let fromMemory = try await memory.query(Everything.self, sort: sort).map(\.id)
                    #expect(fromSQL == fromMemory, "seed \(seed): sort \(keys)")
                }
            }
        }
    }
}
