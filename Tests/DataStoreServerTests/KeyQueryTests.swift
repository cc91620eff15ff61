import DataStore
import DataStoreAppSync
import DataStoreSchema
import DataStoreTestSupport
import DataStoreTesting
import Foundation
import GraphQL
import HTTPTypes
import Testing

@testable import DataStoreServer

/// Readings of sensors: a primary key with a numeric sort key, an index with a composite sort
/// key, one with a text sort key, and one without a sort key (on a Float).
let keyQuerySchema = """
    type Reading @model {
      sensor: ID! @primaryKey(sortKeyFields: ["at"])
      at: Int!
      site: String @index(name: "bySite", sortKeyFields: ["label", "at"], queryField: "readingsBySite")
      label: String @index(name: "byLabel", sortKeyFields: ["note"], queryField: "readingsByLabel")
      note: String
      level: Float @index(name: "byLevel", queryField: "readingsByLevel")
    }
    """

/// A reading as the tests generate it, and what a key query should return, computed in Swift.
private struct Reading {
    let sensor: String
    let at: Int
    let site: String?
    let label: String?
    let note: String?
    let level: Double?

    var input: [String: FieldValue] {
        [
            "sensor": .string(sensor), "at": .int(at), "site": site.map(FieldValue.string) ?? .null,
            "label": label.map(FieldValue.string) ?? .null, "note": note.map(FieldValue.string) ?? .null,
            "level": level.map(FieldValue.double) ?? .null,
        ]
    }

    /// The stored key: the JSON array of the key's values.
    var key: String { FieldValue.list([.string(sensor), .int(at)]).jsonText }
    var identity: String { "\(sensor)/\(at)" }
}

/// One of the model's keys, and how the tests compute its order and conditions.
private enum TestKey: CaseIterable {
    case primary, bySite, byLabel, byLevel

    var index: String? {
        switch self {
        case .primary: nil
        case .bySite: "bySite"
        case .byLabel: "byLabel"
        case .byLevel: "byLevel"
        }
    }

    func partition(of reading: Reading) -> FieldValue? {
        switch self {
        case .primary: .string(reading.sensor)
        case .bySite: reading.site.map(FieldValue.string)
        case .byLabel: reading.label.map(FieldValue.string)
        case .byLevel: reading.level.map(FieldValue.double)
        }
    }

    /// The sort value (nil: the reading is not in the index), or `.null` for a key without one.
    func sortValue(of reading: Reading) -> FieldValue? {
        switch self {
        case .primary: .int(reading.at)
        case .bySite: reading.label.map { .string("\($0)#\(reading.at)") }
        case .byLabel: reading.note.map(FieldValue.string)
        case .byLevel: .null
        }
    }
}

/// Byte order of UTF-8, as DynamoDB (and both stores) compare text.
private func precedes(_ lhs: String, _ rhs: String) -> Bool { lhs.utf8.lexicographicallyPrecedes(rhs.utf8) }

private func precedes(_ lhs: FieldValue, _ rhs: FieldValue) -> Bool {
    switch (lhs, rhs) {
    case (.int(let a), .int(let b)): a < b
    case (.string(let a), .string(let b)): precedes(a, b)
    default: false
    }
}

@Suite("Key queries: list with key arguments, index queries, relation fields")
struct KeyQueryTests {
    @Test(
        "random key queries return what DynamoDB's Query would, in its order, across pages",
        arguments: ServerStoreKind.available
    )
    func differential(kind: ServerStoreKind) async throws {
        let seed = SeededRandom.seed(named: "key queries")
        print("key query differential seed: \(seed) (replay with DATASTORE_TEST_SEED=\(seed))")
        var random = SeededRandom(seed: seed)
        let labels = ["a", "ab", "b", "B", "é", "a#b", "Z"]
        let notes = ["x", "xy", "y", "Ω", "😀", "x y"]
        var readings: [Reading] = []
        for sensor in ["s0", "s1", "s2"] {
            // Unique times per sensor (the primary key), with one and several digits.
            var times = Set<Int>()
            while times.count < 60 { times.insert(Int.random(in: 0..<150, using: &random)) }
            for at in times {
                readings.append(
                    Reading(
                        sensor: sensor,
                        at: at,
                        site: random.pick([nil, "north", "south"]),
                        label: random.chance(0.9) ? random.pick(labels) : nil,
                        note: random.chance(0.8) ? random.pick(notes) : nil,
                        level: random.chance(0.9) ? random.pick([0.5, 1, 2]) : nil
                    )
                )
            }
        }
        try await withDataSource(kind, schema: keyQuerySchema) { dataSource in
            // The reads are the same with or without the indexes; half the runs have them.
            if random.chance(0.5) { try await dataSource.prepareIndexes() }
            for reading in readings { _ = try await dataSource.create("Reading", input: reading.input) }
            for _ in 0..<80 {
                let key = random.pick(TestKey.allCases)
                let partition: FieldValue =
                    switch key {
                    case .primary: .string(random.pick(["s0", "s1", "s2", "s9"]))
                    case .bySite: .string(random.pick(["north", "south"]))
                    case .byLabel: .string(random.pick(labels))
                    // Given as an Int: the partition is compared in the field's stored form.
                    case .byLevel: random.pick([.double(0.5), .int(1), .int(2)])
                    }
                var condition: (argument: FieldValue, holds: (FieldValue) -> Bool)?
                if key != .byLevel, random.chance(0.8) {
                    condition = Self.randomCondition(key, labels: labels, notes: notes, using: &random)
                }
                let descending = random.chance(0.5)
                let limit = Int.random(in: 1...9, using: &random)

                let normalized: FieldValue =
                    if case .int(let number) = partition, key == .byLevel { .double(Double(number)) } else { partition }
                let expected = readings.filter { reading in
                    guard key.partition(of: reading) == normalized, let sort = key.sortValue(of: reading) else {
                        return false
                    }
                    return condition?.holds(sort) ?? true
                }.sorted { lhs, rhs in
                    let (a, b) = (key.sortValue(of: lhs)!, key.sortValue(of: rhs)!)
                    let ascending = a == b ? precedes(lhs.key, rhs.key) : precedes(a, b)
                    return descending ? !ascending : ascending
                }.map(\.identity)

                let query = KeyQuery(
                    index: key.index,
                    partition: partition,
                    sortCondition: condition?.argument,
                    descending: descending
                )
                var got: [String] = []
                var token: String?
                var pages = 0
                repeat {
                    let page = try await dataSource.query("Reading", query, limit: limit, nextToken: token)
                    #expect(page.items.count <= limit)
                    for item in page.items {
                        guard case .string(let sensor)? = item["sensor"], case .int(let at)? = item["at"] else {
                            Issue.record("an item without its key: \(item)")
                            continue
                        }
                        got.append("\(sensor)/\(at)")
                    }
                    token = page.nextToken
                    pages += 1
                } while token != nil && pages < 200
                #expect(
                    got == expected,
                    "\(key) \(partition) \(condition?.argument ?? .null) \(descending ? "DESC" : "ASC") limit \(limit)"
                )
            }
        }
    }

    /// A sort key condition for `key` and the test it stands for on the sort value.
    private static func randomCondition(
        _ key: TestKey,
        labels: [String],
        notes: [String],
        using random: inout SeededRandom
    ) -> (argument: FieldValue, holds: (FieldValue) -> Bool) {
        // The operand in the argument's form, and in the sort value's form.
        func operand() -> (FieldValue, FieldValue) {
            switch key {
            case .primary:
                let at = Int.random(in: 0..<150, using: &random)
                return (.int(at), .int(at))
            case .bySite:
                let label = random.pick(labels)
                if random.chance(0.5) { return (["label": .string(label)], .string(label)) }
                let at = Int.random(in: 0..<150, using: &random)
                return (["label": .string(label), "at": .int(at)], .string("\(label)#\(at)"))
            case .byLabel, .byLevel:
                let note = random.pick(notes + ["", "x", "z"])
                return (.string(note), .string(note))
            }
        }
        let operators = ["eq", "lt", "le", "gt", "ge", "between"] + (key == .primary ? [] : ["beginsWith"])
        let name = random.pick(operators)
        let (argument, value) = operand()
        switch name {
        case "between":
            let (argument2, value2) = operand()
            return (
                ["between": [argument, argument2]],
                { !precedes($0, value) && !precedes(value2, $0) }
            )
        case "beginsWith":
            guard case .string(let prefix) = value else { return (["eq": argument], { $0 == value }) }
            return (
                ["beginsWith": argument],
                { if case .string(let text) = $0 { text.utf8.starts(with: prefix.utf8) } else { false } }
            )
        case "eq": return (["eq": argument], { $0 == value })
        case "lt": return (["lt": argument], { precedes($0, value) })
        case "le": return (["le": argument], { !precedes(value, $0) })
        case "gt": return (["gt": argument], { precedes(value, $0) })
        default: return (["ge": argument], { !precedes($0, value) })
        }
    }

    @Test(
        "the server indexes what its key reads fix and order by, and the reads seek with the indexes",
        arguments: ServerStoreKind.available
    )
    func indexes(kind: ServerStoreKind) async throws {
        try await withServerStore(kind) { store in
            let dataSource = try makeDataSource(schema: keyQuerySchema, store: store)
            let expected: [KeyIndex] = [
                KeyIndex(model: "Reading", equal: ["sensor"], sortKey: .field("at", numeric: true)),
                KeyIndex(model: "Reading", equal: ["site"], sortKey: .composite(["label", "at"])),
                KeyIndex(model: "Reading", equal: ["label"], sortKey: .field("note", numeric: false)),
                KeyIndex(model: "Reading", equal: ["level"], sortKey: .none),
            ]
            #expect(dataSource.keyIndexes == expected)
            try await dataSource.prepareIndexes()
            try await dataSource.prepareIndexes()  // idempotent
            for _ in 0..<30 {
                _ = try await dataSource.create(
                    "Reading",
                    input: [
                        "sensor": "s", "at": .int(Int.random(in: 0..<1_000_000)), "site": "n", "label": "a",
                        "note": "x",
                    ]
                )
            }
            let ranges: [(KeyIndex, KeyRange)] = [
                (
                    expected[0],
                    KeyRange(equal: ["sensor": "s"], sortKey: .field("at", numeric: true), condition: .greater(3))
                ),
                (
                    expected[1],
                    KeyRange(
                        equal: ["site": "n"],
                        sortKey: .composite(["label", "at"]),
                        condition: .beginsWith("a#"),
                        descending: true
                    )
                ),
                (expected[2], KeyRange(equal: ["label": "a"], sortKey: .field("note", numeric: false))),
                (expected[3], KeyRange(equal: ["level": 1.5])),
            ]
            for (index, range) in ranges {
                let after = RangePosition(
                    sortValue: range.sortKey == .none ? .null : range.sortKey.isNumeric ? 5 : "a",
                    key: "k"
                )
                for position in [nil, after] {
                    let plan: String
                    switch store {
                    case let sqlite as SQLiteItemStore:
                        plan = try await sqlite.plan("Reading", in: range, after: position)
                    case let postgres as PostgresItemStore:
                        plan = try await postgres.plan("Reading", in: range, after: position)
                    default: plan = ""
                    }
                    #expect(plan.contains(index.name), "\(index): \(plan)")
                    // The index gives the order: no sort step.
                    #expect(!plan.contains("TEMP B-TREE") && !plan.contains("Sort"), "\(index): \(plan)")
                }
            }
            // Relation fields: the children's key range, by the index the relation uses.
            let relations = try makeDataSource(
                schema: """
                    type Post @model { id: ID! comments: [Comment] @hasMany(indexName: "byPost", fields: ["id"]) }
                    type Comment @model {
                      id: ID!
                      postID: ID! @index(name: "byPost", sortKeyFields: ["rank"])
                      rank: Int!
                      post: Post @belongsTo(fields: ["postID"])
                    }
                    """,
                store: store
            )
            #expect(
                relations.keyIndexes == [
                    KeyIndex(model: "Comment", equal: ["postID"], sortKey: .field("rank", numeric: true))
                ]
            )
        }
    }

    @Test("key arguments that do not go together get InvalidArgumentsError; tokens continue only their query")
    func badArguments() async throws {
        try await withDataSource(.sqlite, schema: keyQuerySchema) { dataSource in
            for at in 0..<5 {
                _ = try await dataSource.create(
                    "Reading",
                    input: ["sensor": "s", "at": .int(at), "site": "north", "label": "a"]
                )
            }
            for condition: FieldValue in [
                ["ge": 1, "le": 3],
                ["between": [1]],
                ["between": [1, 2, 3]],
                ["beginsWith": 1],
                ["near": 1],
            ] {
                await expectServerError(.invalidArguments) {
                    _ = try await dataSource.query("Reading", KeyQuery(partition: "s", sortCondition: condition))
                }
            }
            // A composite operand gives the key's fields in order, leaving out only trailing ones.
            await expectServerError(.invalidArguments) {
                _ = try await dataSource.query(
                    "Reading",
                    KeyQuery(index: "bySite", partition: "north", sortCondition: ["eq": ["at": 3]])
                )
            }
            await expectServerError(.invalidArguments) {
                _ = try await dataSource.query(
                    "Reading",
                    KeyQuery(index: "byLevel", partition: 1, sortCondition: ["eq": "x"])
                )
            }
            await expectServerError(.badRequest) {
                _ = try await dataSource.query("Reading", KeyQuery(index: "byColour", partition: "red"))
            }
            await expectServerError(.badRequest) {
                _ = try await dataSource.query("Reading", KeyQuery(partition: 12))
            }
            // Null operators are absent ones, as AppSync's resolvers read them.
            #expect(
                try await dataSource.query("Reading", KeyQuery(partition: "s", sortCondition: ["eq": .null])).items
                    .count
                    == 5
            )

            let first = try await dataSource.query("Reading", KeyQuery(partition: "s"), limit: 2)
            let token = try #require(first.nextToken)
            #expect(
                try await dataSource.query("Reading", KeyQuery(partition: "s"), limit: 2, nextToken: token).items.count
                    == 2
            )
            for other in [
                KeyQuery(partition: "t"), KeyQuery(partition: "s", descending: true),
                KeyQuery(partition: "s", sortCondition: ["gt": 0]), KeyQuery(index: "bySite", partition: "north"),
            ] {
                await expectServerError(.badRequest) {
                    _ = try await dataSource.query("Reading", other, limit: 2, nextToken: token)
                }
            }
            await expectServerError(.badRequest) {
                _ = try await dataSource.list("Reading", limit: 2, nextToken: token)
            }
            await expectServerError(.badRequest) {
                _ = try await dataSource.query("Reading", KeyQuery(partition: "s"), limit: 2, nextToken: token + "x")
            }
        }
    }

    @Test("list takes the primary key's arguments and each queryField is a query, as the transformer writes them")
    func schema() throws {
        let api = AppSyncSchema(try SchemaParser.parse(keyQuerySchema))
        let types = AppSyncSchemaTests.printedTypes(try buildSchema(source: api.sdl))
        let query = try #require(types["Query"])
        for line in [
            "listReadings(sensor: ID, at: ModelIntKeyConditionInput, filter: ModelReadingFilterInput, limit: Int, "
                + "nextToken: String, sortDirection: ModelSortDirection): ModelReadingConnection",
            "readingsBySite(site: String!, labelAt: ModelReadingBySiteCompositeKeyConditionInput, "
                + "sortDirection: ModelSortDirection, filter: ModelReadingFilterInput, limit: Int, nextToken: String): "
                + "ModelReadingConnection",
            "readingsByLabel(label: String!, note: ModelStringKeyConditionInput, sortDirection: ModelSortDirection, "
                + "filter: ModelReadingFilterInput, limit: Int, nextToken: String): ModelReadingConnection",
            "readingsByLevel(level: Float!, sortDirection: ModelSortDirection, filter: ModelReadingFilterInput, "
                + "limit: Int, nextToken: String): ModelReadingConnection",
            "getReading(sensor: ID!, at: Int!): Reading",
        ] {
            #expect(query.contains(line), "missing \(line)")
        }
        #expect(
            types["ModelIntKeyConditionInput"]
                == "input ModelIntKeyConditionInput {\n  eq: Int\n  le: Int\n  lt: Int\n  ge: Int\n  gt: Int\n  between: [Int]\n}"
        )
        #expect(types["ModelStringKeyConditionInput"]?.contains("beginsWith: String") == true)
        #expect(
            types["ModelReadingBySiteCompositeKeyInput"]
                == "input ModelReadingBySiteCompositeKeyInput {\n  label: String\n  at: Int\n}"
        )
        #expect(
            types["ModelReadingBySiteCompositeKeyConditionInput"]?.contains(
                "between: [ModelReadingBySiteCompositeKeyInput]"
            ) == true
        )
        let operations = try #require(api.keyQueries["Reading"])
        #expect(operations.indexQueries.map(\.name) == ["readingsBySite", "readingsByLabel", "readingsByLevel"])
        #expect(operations.listKey?.sortCondition == "at")

        // A model whose key is the plain id keeps the plain list; the corpus's queryField becomes a query.
        let plain = AppSyncSchemaTests.printedTypes(
            try buildSchema(source: AppSyncSchema(try SchemaParser.parse(AppSyncSchemaTests.postSDL)).sdl)
        )
        #expect(
            plain["Query"]?.contains(
                "listPosts(filter: ModelPostFilterInput, limit: Int, nextToken: String): ModelPostConnection"
            ) == true
        )
        let corpus = try String(
            contentsOf: AppSyncSchemaTests.corpusDirectory.appending(
                path: "amplify-category-api__schema-test-library__v2-index-with-queryfield.graphql"
            ),
            encoding: .utf8
        )
        let tests = AppSyncSchemaTests.printedTypes(
            try buildSchema(source: AppSyncSchema(try SchemaParser.parse(corpus)).sdl)
        )
        #expect(
            tests["Query"]?.contains(
                "testsByCategory(category: String!, createdAt: ModelStringKeyConditionInput, "
                    + "sortDirection: ModelSortDirection, filter: ModelTestFilterInput, limit: Int, nextToken: String): "
                    + "ModelTestConnection"
            ) == true
        )
    }

    @Test("a queryField that is not a name, or names a query the API already has, is a schema error")
    func badQueryFields() {
        for (sdl, message) in [
            (
                #"type Book @model { id: ID! b: String @index(name: "byB", queryField: "listBooks") }"#,
                "already a query of the API"
            ),
            (
                #"type A @model { id: ID! b: String @index(name: "byB", queryField: "a-b") }"#, "is not a GraphQL name"
            ),
            (
                #"type A @model { id: ID! b: String @index(name: "byB", queryField: "q") c: String @index(name: "byC", queryField: "q") }"#,
                "already a query of the API"
            ),
        ] {
            #expect(throws: SchemaErrors.self) { try SchemaParser.parse(sdl) }
            do {
                _ = try SchemaParser.parse(sdl)
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
    }

    @Test("over HTTP: list with key arguments, index queries in both directions, AppSync's argument errors")
    func overHTTP() async throws {
        try await withLiveServer(schema: keyQuerySchema) { server in
            for (at, label) in [(9, "b"), (10, "a"), (100, "a"), (2, "c")] {
                _ = try await server.dataSource.create(
                    "Reading",
                    input: ["sensor": "s", "at": .int(at), "site": "north", "label": .string(label), "note": "n"]
                )
            }
            _ = try await server.dataSource.create("Reading", input: ["sensor": "t", "at": 1, "site": "south"])
            let (_, ascending) = try await server.graphQL(
                "{ listReadings(sensor: \"s\", at: {ge: 9}) { items { at } nextToken } }"
            )
            #expect(
                ascending == [
                    "data": ["listReadings": ["items": [["at": 9], ["at": 10], ["at": 100]], "nextToken": .null]]
                ]
            )
            let (_, bySite) = try await server.graphQL(
                """
                query Q($site: String!, $key: ModelReadingBySiteCompositeKeyConditionInput) {
                  readingsBySite(site: $site, labelAt: $key, sortDirection: DESC, limit: 2) { items { label at } nextToken }
                }
                """,
                variables: ["site": "north", "key": ["beginsWith": ["label": "a"]]]
            )
            // "a#100" < "a#10" is false: the joined text compares byte by byte ("a#10" is a prefix).
            #expect(
                bySite["data"]?["readingsBySite"]?["items"] == [["label": "a", "at": 100], ["label": "a", "at": 10]]
            )
            let (_, all) = try await server.graphQL("{ listReadings { items { sensor } } }")
            #expect(all["data"]?["listReadings"]?["items"]?.listCount == 5)

            for (query, message) in [
                ("{ listReadings(sortDirection: DESC) { items { at } } }", "give the argument sensor too"),
                ("{ listReadings(at: {eq: 1}) { items { at } } }", "give the argument sensor too"),
                ("{ listReadings(sensor: \"s\", at: {ge: 1, le: 5}) { items { at } } }", "has 2 operators"),
            ] {
                let (status, body) = try await server.graphQL(query)
                #expect(status == .ok)
                #expect(body["data"] == ["listReadings": .null])
                #expect(body["errors"]?[0]?["errorType"] == "InvalidArgumentsError", "\(query)")
                guard case .string(let text)? = body["errors"]?[0]?["message"] else {
                    Issue.record("no message for \(query)")
                    continue
                }
                #expect(text.contains(message), "\(text)")
            }
        }
    }

    @Test(
        "relation fields read the related items' key range: complete, in the named index's order, past 1,000 items"
    )
    func relations() async throws {
        // Two indexes start with postID; the relation names the second, which orders by rank.
        let schema = """
            type Post @model {
              id: ID!
              title: String!
              comments: [Comment] @hasMany(indexName: "byPost", fields: ["id"])
            }
            type Comment @model {
              id: ID!
              postID: ID! @index(name: "byPostLabel", sortKeyFields: ["label"]) @index(name: "byPost", sortKeyFields: ["rank"])
              rank: Int!
              label: String
              post: Post @belongsTo(fields: ["postID"])
            }
            """
        try await withLiveServer(schema: schema) { server in
            let dataSource = server.dataSource
            _ = try await dataSource.create("Post", input: ["id": "z-post", "title": "Z"])
            // 1,200 comments of other posts, whose keys sort before the post's own.
            for index in 0..<1_200 {
                _ = try await dataSource.create(
                    "Comment",
                    input: ["id": .string(String(format: "a%04d", index)), "postID": "other", "rank": .int(index)]
                )
            }
            for (id, rank, label) in [("z1", 10, "c"), ("z2", 9, "a"), ("z3", 100, "b")] {
                _ = try await dataSource.create(
                    "Comment",
                    input: ["id": .string(id), "postID": "z-post", "rank": .int(rank), "label": .string(label)]
                )
            }
            let (_, body) = try await server.graphQL(
                """
                { getPost(id: "z-post") {
                    first: comments(limit: 2) { items { id } nextToken }
                    all: comments(sortDirection: DESC) { items { id rank post { title } } }
                } }
                """
            )
            let post = try #require(body["data"]?["getPost"])
            #expect(post["first"]?["items"] == [["id": "z2"], ["id": "z1"]])
            #expect(post["first"]?["nextToken"] != .null)
            #expect(
                post["all"]?["items"] == [
                    ["id": "z3", "rank": 100, "post": ["title": "Z"]],
                    ["id": "z1", "rank": 10, "post": ["title": "Z"]],
                    ["id": "z2", "rank": 9, "post": ["title": "Z"]],
                ]
            )
        }
    }
}

extension FieldValue {
    /// The number of elements of a list, or nil.
    var listCount: Int? {
        if case .list(let values) = self { return values.count }
        return nil
    }
}
