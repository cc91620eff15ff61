import DataStore
import DataStoreSchema
import Testing

@testable import DataStoreServer

/// Two APIs: one answers planned requests itself, the other sends everything through the GraphQL
/// executor. Every response must be the same. Reads share one data source; mutations need one
/// each, alike, so that both write the same thing.
private struct APIPair {
    let planned: GraphQLAPI
    let executed: GraphQLAPI

    init(dataSource: DataSource) throws {
        try self.init(planned: dataSource, executed: dataSource)
    }

    init(planned: DataSource, executed: DataSource) throws {
        self.planned = try GraphQLAPI(
            dataSource: planned,
            limits: DocumentLimits(),
            documentCacheCapacity: 64,
            plans: true
        )
        self.executed = try GraphQLAPI(
            dataSource: executed,
            limits: DocumentLimits(),
            documentCacheCapacity: 64,
            plans: false
        )
    }

    /// Sends `query` to both and expects the same response; returns it.
    @discardableResult
    func expectSameResponse(
        _ query: String,
        variables: FieldValue = .null,
        operationName: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async -> FieldValue {
        var body: [String: FieldValue] = ["query": .string(query), "variables": variables]
        if let operationName { body["operationName"] = .string(operationName) }
        let (plannedStatus, plannedResponse) = await planned.execute(.object(body))
        let (executedStatus, executedResponse) = await executed.execute(.object(body))
        #expect(plannedStatus == executedStatus, sourceLocation: sourceLocation)
        #expect(plannedResponse == executedResponse, sourceLocation: sourceLocation)
        return plannedResponse
    }

    /// Whether the planned API made a response plan for `query`.
    func isPlanned(_ query: String) -> Bool {
        planned.documents.document(for: query)?.plan != nil
    }
}

private let syncQuery = """
    query SyncPosts($limit: Int, $nextToken: String, $lastSync: AWSTimestamp, $filter: ModelPostFilterInput) {
      syncPosts(limit: $limit, nextToken: $nextToken, lastSync: $lastSync, filter: $filter) {
        items { id title rating status tags publishedAt createdAt updatedAt __typename _version _deleted _lastChangedAt }
        nextToken
        startedAt
      }
    }
    """

@Suite("Planned reads and mutations answer exactly as the executor does")
struct ResponsePlanTests {
    private func seeded() async throws -> (DataSource, APIPair) {
        let dataSource = try makeDataSource()
        for index in 0..<25 {
            var input: [String: FieldValue] = ["id": .string("p\(index)"), "title": .string("Post \(index) \u{e9}\"")]
            if index % 2 == 0 { input["rating"] = .int(index) }
            if index % 3 == 0 { input["status"] = index % 2 == 0 ? "DRAFT" : "PUBLISHED" }
            if index % 4 == 0 { input["tags"] = ["a", .string("t\(index)")] }
            if index % 5 == 0 { input["publishedAt"] = "2026-05-01T12:00:00.000Z" }
            _ = try await dataSource.create("Post", input: input)
        }
        _ = try await dataSource.delete("Post", input: ["id": "p7", "_version": 1])
        _ = try await dataSource.create("Order", input: ["customerEmail": "a@example.com", "number": 1, "total": 12])
        _ = try await dataSource.create("Order", input: ["customerEmail": "a@example.com", "number": 2, "total": 3.5])
        return (dataSource, try APIPair(dataSource: dataSource))
    }

    @Test("Amplify's sync query pages through every item, tombstones included, with and without a filter")
    func syncPages() async throws {
        let (_, apis) = try await seeded()
        #expect(await apis.planned.execute(["query": .string(syncQuery)]).status == 200)
        #expect(apis.isPlanned(syncQuery))
        for filter: FieldValue in [.null, ["rating": ["gt": 4]], ["status": ["eq": "DRAFT"]]] {
            var token: FieldValue = .null
            var seen = 0
            repeat {
                let response = await apis.expectSameResponse(
                    syncQuery,
                    variables: ["limit": 4, "nextToken": token, "filter": filter]
                )
                guard case .list(let items)? = response["data"]?["syncPosts"]?["items"] else {
                    Issue.record("no items: \(response)")
                    return
                }
                seen += items.count
                token = response["data"]?["syncPosts"]?["nextToken"] ?? .null
            } while token != .null
            #expect(seen > 0)
        }
        #expect(apis.planned.planOutcomes.withLock { $0 }.handedBack == 0)
        #expect(apis.planned.planOutcomes.withLock { $0 }.answered > 3)
    }

    @Test("get, list, aliases, __typename, Float and composite keys")
    func shapes() async throws {
        let (_, apis) = try await seeded()
        let queries = [
            "query { getPost(id: \"p4\") { id title rating status tags __typename } }",
            "query { getPost(id: \"missing\") { id title } }",
            "query G($id: ID!) { post: getPost(id: $id) { key: id name: title _version } }",
            "{ listPosts(limit: 3) { items { id title } nextToken startedAt __typename } }",
            "{ all: listPosts(filter: {title: {beginsWith: \"Post 1\"}}) { list: items { id } more: nextToken } }",
            "{ listOrders { items { customerEmail number total } } }",
            "{ getOrder(customerEmail: \"a@example.com\", number: 1) { number total __typename } }",
        ]
        for query in queries {
            await apis.expectSameResponse(query, variables: ["id": "p0"])
            #expect(apis.isPlanned(query), "\(query)")
        }
        let total = await apis.expectSameResponse("{ getOrder(customerEmail: \"a@example.com\", number: 1) { total } }")
        #expect(total["data"]?["getOrder"]?["total"] == .double(12))
    }

    @Test("a planned response is JSON text with each object's keys in selection order, escapes included")
    func selectionOrder() async throws {
        let (_, apis) = try await seeded()
        let query = #"{ getPost(id: "p6") { title __typename id rating tags status } }"#
        let (status, answer) = await apis.planned.answer(["query": .string(query)], as: nil)
        #expect(status == 200)
        guard case .rendered(let text) = answer else {
            Issue.record("the read was not planned: \(answer)")
            return
        }
        #expect(
            text == #"{"data":{"getPost":{"title":"Post 6 é\"","__typename":"Post","id":"p6","rating":6,"tags":null,"#
                + #""status":"DRAFT"}}}"#
        )
        // What the HTTP layer sends is the same text.
        #expect(answer.jsonText == text)
        await apis.expectSameResponse(query)
    }

    @Test("key queries: list with key arguments and index queries, pages, directions and argument errors")
    func keyQueries() async throws {
        let dataSource = try makeDataSource(schema: keyQuerySchema)
        for at in [9, 10, 100, 2] {
            _ = try await dataSource.create(
                "Reading",
                input: ["sensor": "s", "at": .int(at), "site": "north", "label": .string(at % 2 == 0 ? "a" : "b")]
            )
        }
        let apis = try APIPair(dataSource: dataSource)
        let byKey = """
            query Q($key: ModelIntKeyConditionInput, $direction: ModelSortDirection, $token: String) {
              listReadings(sensor: "s", at: $key, sortDirection: $direction, limit: 2, nextToken: $token) {
                items { sensor at site __typename _version } nextToken
              }
            }
            """
        let bySite = """
            query Q($key: ModelReadingBySiteCompositeKeyConditionInput) {
              readingsBySite(site: "north", labelAt: $key, sortDirection: DESC) { items { label at } nextToken }
            }
            """
        let cases: [(query: String, variables: [String: FieldValue])] = [
            (byKey, [:]), (byKey, ["key": ["ge": 9], "direction": "DESC"]), (byKey, ["key": ["between": [2, 10]]]),
            (bySite, [:]), (bySite, ["key": ["beginsWith": ["label": "a"]]]), (bySite, ["key": ["eq": ["at": 2]]]),
            (byKey, ["key": ["ge": 1, "le": 3]]),
        ]
        for (query, variables) in cases {
            var members = variables
            // Every page, until the last.
            while true {
                let response = await apis.expectSameResponse(query, variables: .object(members))
                guard case .string(let token)? = response["data"]?["listReadings"]?["nextToken"] else { break }
                members["token"] = .string(token)
            }
        }
        #expect(apis.isPlanned(byKey) && apis.isPlanned(bySite))
        await apis.expectSameResponse("{ listReadings(sortDirection: DESC) { items { at } } }")
    }

    @Test("errors from variables and resolvers are the executor's own")
    func errors() async throws {
        let (_, apis) = try await seeded()
        let response = await apis.expectSameResponse(syncQuery, variables: ["limit": "many"])
        #expect(apis.planned.planOutcomes.withLock { $0 } == (answered: 0, handedBack: 1))
        #expect(response["errors"] != nil)
        await apis.expectSameResponse(syncQuery, variables: ["nextToken": "tampered"])
        await apis.expectSameResponse(syncQuery, variables: ["limit": 5_000])
        await apis.expectSameResponse("query G($id: ID!) { getPost(id: $id) { id } }")
        await apis.expectSameResponse(syncQuery, variables: ["limit": 2], operationName: "Other")
    }

    @Test("documents with relations, fragments, directives or several root fields go to the executor")
    func unplanned() async throws {
        let (_, apis) = try await seeded()
        let queries = [
            "{ getPost(id: \"p1\") { id comments { items { id } } } }",
            "{ getPost(id: \"p1\") { ...F } } fragment F on Post { id title }",
            "{ getPost(id: \"p1\") { ... on Post { id } } }",
            "query Q($all: Boolean!) { getPost(id: \"p1\") { id title @include(if: $all) } }",
            "{ a: getPost(id: \"p1\") { id } b: getPost(id: \"p2\") { id } }",
            "{ listPosts { items { id } items { title } } }",
            "mutation { createPost(input: {title: \"x\"}) { id comments { items { id } } } }",
        ]
        for query in queries {
            _ = await apis.planned.execute(["query": .string(query), "variables": ["all": true]])
            #expect(!apis.isPlanned(query), "\(query)")
        }
        for query in queries.dropLast() { await apis.expectSameResponse(query, variables: ["all": false]) }
    }

    @Test("stored values that no longer fit the schema get the executor's errors and null propagation")
    func valuesThatDoNotFit() async throws {
        // Items written under a looser schema, read under a stricter one on the same store.
        let store = try SQLiteItemStore(path: nil)
        let loose = DataSource(
            document: try SchemaParser.parse(
                """
                type Post @model {
                  id: ID!
                  title: String
                  rating: Float
                  status: String
                  tags: [String]
                }
                """
            ),
            store: store,
            configuration: ServerConfiguration()
        )
        _ = try await loose.create("Post", input: ["id": "untitled", "rating": 1])
        _ = try await loose.create("Post", input: ["id": "fraction", "title": "t", "rating": 2.5])
        _ = try await loose.create("Post", input: ["id": "archived", "title": "t", "status": "ARCHIVED"])
        _ = try await loose.create("Post", input: ["id": "fine", "title": "t", "rating": 3, "tags": ["x"]])
        let strict = try makeDataSource(store: store)
        let apis = try APIPair(dataSource: strict)
        for id in ["untitled", "fraction", "archived", "fine"] {
            let query = "{ getPost(id: \"\(id)\") { id title rating status tags } }"
            let response = await apis.expectSameResponse(query)
            // The executor refuses a null title and an unknown enum value, and truncates a
            // fraction stored in an Int field; either way the plan leaves the answer to it.
            #expect((response["errors"] != nil) == ["untitled", "archived"].contains(id), "\(id): \(response)")
        }
        let list = await apis.expectSameResponse("{ listPosts { items { id title rating status } } }")
        #expect(list["errors"] != nil)
        #expect(apis.planned.planOutcomes.withLock { $0 } == (answered: 1, handedBack: 4))
        await store.close()
    }

    @Test("mutations: answers, conflicts and errors are the executor's own, and each writes once")
    func mutations() async throws {
        // Two alike data sources (same clock, same writes), one behind each API.
        let apis = try APIPair(planned: try makeDataSource(), executed: try makeDataSource())
        let create = """
            mutation Create($input: CreatePostInput!, $condition: ModelPostConditionInput) {
              createPost(input: $input, condition: $condition) {
                id title rating status tags createdAt updatedAt __typename _version _deleted _lastChangedAt
              }
            }
            """
        let update = """
            mutation Update($input: UpdatePostInput!, $condition: ModelPostConditionInput) {
              updatePost(input: $input, condition: $condition) { id title rating _version _deleted }
            }
            """
        let delete = "mutation D($input: DeletePostInput!) { deletePost(input: $input) { id title _version _deleted } }"
        let created = await apis.expectSameResponse(
            create,
            variables: ["input": ["id": "m1", "title": "T", "rating": 4, "tags": ["a"], "status": "DRAFT"]]
        )
        #expect(created["data"]?["createPost"]?["_version"] == 1)
        // A second create of the same id, a failed condition, a bad variable: errors, nothing written.
        await apis.expectSameResponse(create, variables: ["input": ["id": "m1", "title": "again"]])
        await apis.expectSameResponse(
            update,
            variables: ["input": ["id": "m1", "title": "U", "_version": 1], "condition": ["rating": ["gt": 10]]]
        )
        await apis.expectSameResponse(update, variables: ["input": ["id": "m1", "rating": "high", "_version": 1]])
        let updated = await apis.expectSameResponse(
            update,
            variables: ["input": ["id": "m1", "title": "U", "_version": 1]]
        )
        #expect(updated["data"]?["updatePost"]?["_version"] == 2)
        // A stale version: the conflict path (AUTOMERGE) answers the same way.
        await apis.expectSameResponse(update, variables: ["input": ["id": "m1", "rating": 5, "_version": 1]])
        let deleted = await apis.expectSameResponse(delete, variables: ["input": ["id": "m1", "_version": 3]])
        #expect(deleted["data"]?["deletePost"]?["_deleted"] == true)
        #expect(apis.isPlanned(create) && apis.isPlanned(update) && apis.isPlanned(delete))
        let outcomes = apis.planned.planOutcomes.withLock { $0 }
        #expect(outcomes.answered == 4 && outcomes.handedBack == 3, "\(outcomes)")
        let versions = try await [apis.planned, apis.executed].asyncMap { api in
            try await api.dataSource.get("Post", key: ["id": "m1"])?["_version"]
        }
        #expect(versions == [4, 4])
    }

    @Test("a mutation whose item does not fit the selection gets the executor's errors, and writes once")
    func mutationThatDoesNotFit() async throws {
        // Written under a looser schema (no title), updated under the strict one: the answer's
        // title is null in a non-null field.
        var dataSources: [DataSource] = []
        for _ in 0..<2 {
            let store = try SQLiteItemStore(path: nil)
            let loose = DataSource(
                document: try SchemaParser.parse("type Post @model { id: ID! title: String rating: Int }"),
                store: store,
                configuration: ServerConfiguration()
            )
            _ = try await loose.create("Post", input: ["id": "untitled", "rating": 1])
            dataSources.append(try makeDataSource(store: store))
        }
        let apis = try APIPair(planned: dataSources[0], executed: dataSources[1])
        let update = """
            mutation Update($input: UpdatePostInput!) { updatePost(input: $input) { id title rating _version } }
            """
        let response = await apis.expectSameResponse(
            update,
            variables: ["input": ["id": "untitled", "rating": 2, "_version": 1]]
        )
        #expect(response["errors"] != nil)
        #expect(apis.planned.planOutcomes.withLock { $0 } == (answered: 0, handedBack: 1))
        for dataSource in dataSources {
            let item = try await dataSource.get("Post", key: ["id": "untitled"])
            #expect(item?["_version"] == 2 && item?["rating"] == 2)
        }
    }
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
