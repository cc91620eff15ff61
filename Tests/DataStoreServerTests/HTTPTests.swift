import DataStore
import DataStoreTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import DataStoreServer

/// A live server on loopback (port 0) over a fresh data source, and a client that speaks to it.
struct LiveServer {
    let client: any TestClientProtocol
    let dataSource: DataSource
    let clock: ManualClock
    static let apiKey = "da2-test-key"

    /// Posts a GraphQL request and returns the HTTP status and the decoded JSON body.
    func graphQL(
        _ query: String,
        variables: FieldValue = .null,
        apiKey: String? = LiveServer.apiKey
    ) async throws -> (status: HTTPResponse.Status, body: FieldValue) {
        try await post(FieldValue.object(["query": .string(query), "variables": variables]).jsonText, apiKey: apiKey)
    }

    func post(
        _ body: String,
        apiKey: String? = LiveServer.apiKey
    ) async throws -> (status: HTTPResponse.Status, body: FieldValue) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let apiKey { headers[HTTPField.Name("x-api-key")!] = apiKey }
        return try await client.execute(
            uri: "/graphql",
            method: .post,
            headers: headers,
            body: ByteBuffer(string: body)
        ) {
            response in
            (response.status, try FieldValue(jsonText: String(buffer: response.body)))
        }
    }
}

func withLiveServer(
    schema: String = testSchema,
    maximumBodySize: Int = 1 << 20,
    configure: (inout ServerConfiguration) -> Void = { _ in },
    _ body: @escaping @Sendable (LiveServer) async throws -> Void
) async throws {
    let clock = ManualClock()
    let dataSource = try makeDataSource(schema: schema, clock: clock, configure: configure)
    var options = ServerOptions()
    options.port = 0
    options.apiKeys = [APIKey(LiveServer.apiKey)]
    options.maximumBodySize = maximumBodySize
    // The test client connects when the test starts and keeps one connection for the whole test;
    // some tests (1,000 items written before the first request, under ThreadSanitizer) leave it
    // silent or idle for longer than a real server lets a connection be.
    options.idleTimeout = nil
    options.headerTimeout = .seconds(3600)
    let application = ServerApplication(api: try GraphQLAPI(dataSource: dataSource), options: options).makeApplication()
    try await application.test(.live) { client in
        try await body(LiveServer(client: client, dataSource: dataSource, clock: clock))
    }
}

let postFields = "id title rating status tags createdAt updatedAt __typename _version _deleted _lastChangedAt"

@Suite("GraphQL over HTTP")
struct HTTPTests {
    @Test("requests without a valid API key get 401 UnauthorizedException")
    func apiKey() async throws {
        try await withLiveServer { server in
            let expected: [(String?, String)] = [
                (nil, "send an API key (x-api-key) or a token (Authorization)."),
                ("wrong", "the API key is not valid."),
            ]
            for (key, reason) in expected {
                let (status, body) = try await server.graphQL("{ listPosts { items { id } } }", apiKey: key)
                #expect(status == .unauthorized)
                #expect(
                    body["errors"] == [
                        [
                            "errorType": "UnauthorizedException",
                            "message": .string("You are not authorized to make this call: " + reason),
                        ]
                    ]
                )
            }
            let response = try await server.client.execute(uri: "/graphql/schema", method: .get, headers: [:])
            #expect(response.status == .unauthorized)
        }
    }

    @Test("the generated schema is served at /graphql/schema")
    func schema() async throws {
        try await withLiveServer { server in
            var headers = HTTPFields()
            headers[HTTPField.Name("x-api-key")!] = LiveServer.apiKey
            let sdl = try await server.client.execute(uri: "/graphql/schema", method: .get, headers: headers) {
                String(buffer: $0.body)
            }
            #expect(sdl == server.dataSource.api.sdl)
            #expect(
                sdl.contains(
                    "syncPosts(filter: ModelPostFilterInput, limit: Int, nextToken: String, lastSync: AWSTimestamp)"
                )
            )
        }
    }

    @Test("create, get, update, delete and sync through GraphQL documents as Amplify sends them")
    func operations() async throws {
        try await withLiveServer { server in
            let create = """
                mutation CreatePost($input: CreatePostInput!) { createPost(input: $input) { \(postFields) } }
                """
            var (status, body) = try await server.graphQL(
                create,
                variables: ["input": ["id": "p1", "title": "Hello", "status": "DRAFT", "tags": ["a"]]]
            )
            #expect(status == .ok)
            let created = try #require(body["data"]?["createPost"])
            #expect(created["_version"] == 1 && created["__typename"] == "Post" && created["_deleted"] == .null)
            #expect(body["errors"] == nil)

            (_, body) = try await server.graphQL("query { getPost(id: \"p1\") { id title _version } }")
            #expect(body["data"]?["getPost"] == ["id": "p1", "title": "Hello", "_version": 1])

            let update = """
                mutation UpdatePost($condition: ModelPostConditionInput, $input: UpdatePostInput!) {
                  updatePost(input: $input, condition: $condition) { \(postFields) }
                }
                """
            (_, body) = try await server.graphQL(
                update,
                variables: [
                    "input": ["id": "p1", "title": "Edited", "_version": 1], "condition": ["status": ["eq": "DRAFT"]],
                ]
            )
            #expect(body["data"]?["updatePost"]?["_version"] == 2 && body["data"]?["updatePost"]?["title"] == "Edited")

            let sync = """
                query SyncPosts($lastSync: AWSTimestamp, $limit: Int, $nextToken: String) {
                  syncPosts(lastSync: $lastSync, limit: $limit, nextToken: $nextToken) { items { \(postFields) } nextToken startedAt }
                }
                """
            server.clock.advance(by: .seconds(1))
            (_, body) = try await server.graphQL(sync, variables: ["limit": 1000])
            let connection = try #require(body["data"]?["syncPosts"])
            guard case .list(let items)? = connection["items"], items.count == 1 else {
                Issue.record("expected one item: \(connection)")
                return
            }
            #expect(items[0]["title"] == "Edited" && items[0]["_version"] == 2 && items[0]["rating"] == .null)
            #expect(connection["nextToken"] == .null)
            guard case .int(let startedAt)? = connection["startedAt"] else {
                Issue.record("no startedAt: \(connection)")
                return
            }
            #expect(startedAt == Int(server.clock.millisecondsSince1970))
            // A delta sync with a 64-bit lastSync: nothing changed since, then one update.
            server.clock.advance(by: .seconds(1))
            (_, body) = try await server.graphQL(sync, variables: ["limit": 1000, "lastSync": .int(startedAt)])
            #expect(body["data"]?["syncPosts"]?["items"] == [])
            _ = try await server.dataSource.update("Post", input: ["id": "p1", "_version": 2, "rating": 5])
            (_, body) = try await server.graphQL(sync, variables: ["limit": 1000, "lastSync": .int(startedAt)])
            #expect(body["data"]?["syncPosts"]?["items"].map { if case .list(let l) = $0 { l.count } else { 0 } } == 1)

            let delete = """
                mutation DeletePost($input: DeletePostInput!) { deletePost(input: $input) { \(postFields) } }
                """
            (_, body) = try await server.graphQL(delete, variables: ["input": ["id": "p1", "_version": 3]])
            #expect(body["data"]?["deletePost"]?["_deleted"] == true && body["data"]?["deletePost"]?["_version"] == 4)
        }
    }

    @Test("errors carry AppSync's errorType and data at the top level of the error object")
    func appSyncErrors() async throws {
        let occ: (inout ServerConfiguration) -> Void = { $0.defaultStrategy = .optimisticConcurrency }
        try await withLiveServer(configure: occ) { server in
            _ = try await server.dataSource.create("Post", input: ["id": "p1", "title": "One"])
            _ = try await server.dataSource.update("Post", input: ["id": "p1", "_version": 1, "title": "Two"])
            let (status, body) = try await server.graphQL(
                "mutation { updatePost(input: {id: \"p1\", title: \"Stale\", _version: 1}) { id _version } }"
            )
            #expect(status == .ok)
            #expect(body["data"] == ["updatePost": .null])
            let error = try #require(
                body["errors"].flatMap { if case .list(let errors) = $0 { errors.first } else { nil } }
            )
            #expect(error["errorType"] == "ConflictUnhandled")
            #expect(error["message"] == "Conflict resolver rejects mutation.")
            #expect(error["data"]?["_version"] == 2 && error["data"]?["title"] == "Two")
            #expect(error["path"] == ["updatePost"])

            let (_, taken) = try await server.graphQL(
                "mutation { createPost(input: {id: \"p1\", title: \"x\"}) { id } }"
            )
            guard case .list(let errors)? = taken["errors"] else {
                Issue.record("no errors: \(taken)")
                return
            }
            #expect(errors.first?["errorType"] == "ConditionalCheckFailedException")
        }
    }

    @Test("relation fields resolve for clients that select them")
    func relations() async throws {
        try await withLiveServer { server in
            _ = try await server.dataSource.create("Post", input: ["id": "p1", "title": "One"])
            _ = try await server.dataSource.create(
                "Comment",
                input: ["id": "c1", "content": "a", "postCommentsId": "p1"]
            )
            _ = try await server.dataSource.create(
                "Comment",
                input: ["id": "c2", "content": "b", "postCommentsId": "p1"]
            )
            _ = try await server.dataSource.create("Comment", input: ["id": "c3", "content": "elsewhere"])
            let (_, body) = try await server.graphQL(
                "{ getPost(id: \"p1\") { id comments { items { id post { title } } } } }"
            )
            let items = body["data"]?["getPost"]?["comments"]?["items"]
            #expect(items == [["id": "c1", "post": ["title": "One"]], ["id": "c2", "post": ["title": "One"]]])
        }
    }

    @Test("bad requests get protocol-correct errors, the server stays up, and nothing stored changes")
    func badInput() async throws {
        try await withLiveServer(maximumBodySize: 4_096) { server in
            _ = try await server.dataSource.create("Post", input: ["id": "p1", "title": "One", "rating": 1])
            let before = try await server.dataSource.list("Post").items
            func firstError(_ body: FieldValue) -> FieldValue? {
                if case .list(let errors)? = body["errors"] { return errors.first }
                return nil
            }
            // Not JSON, not a request.
            var (status, body) = try await server.post("{not json")
            #expect(status == .badRequest && firstError(body)?["errorType"] == "BadRequestException")
            (status, body) = try await server.post("[1, 2]")
            #expect(status == .badRequest && firstError(body)?["errorType"] == "BadRequestException")
            (status, body) = try await server.post(#"{"query": "{ listPosts { items { id } } }", "variables": 3}"#)
            #expect(status == .badRequest)
            // Too large.
            (status, body) = try await server.post(String(repeating: " ", count: 5_000) + "{}")
            #expect(status == .contentTooLarge && firstError(body)?["errorType"] == "BadRequestException")
            // GraphQL the schema refuses: syntax, unknown fields and types, wrong variable types, unknown models.
            for query in [
                "{ listPosts { items { id }",
                "{ listPosts { items { colour } } }",
                "mutation { createGhost(input: {id: \"g\"}) { id } }",
                "mutation { createPost(input: {id: \"p2\", title: 5}) { id } }",
                "mutation { createPost(input: {id: \"p2\", title: \"t\", colour: \"red\"}) { id } }",
            ] {
                (status, body) = try await server.graphQL(query)
                #expect(status == .ok && body["data"] == .null && firstError(body)?["message"] != nil, "\(query)")
            }
            (_, body) = try await server.graphQL(
                "mutation M($input: CreatePostInput!) { createPost(input: $input) { id } }",
                variables: ["input": ["id": "p2", "title": ["not", "a", "string"]]]
            )
            #expect(firstError(body)?["message"] != nil)
            (_, body) = try await server.graphQL(
                "query Q($l: AWSTimestamp) { syncPosts(lastSync: $l) { startedAt } }",
                variables: ["l": "soon"]
            )
            #expect(firstError(body)?["message"] != nil)
            // Values the data source refuses: a bad enum value in a filter, a bad date-time, a tampered token.
            (_, body) = try await server.graphQL("{ syncPosts(nextToken: \"forged\") { items { id } } }")
            #expect(firstError(body)?["errorType"] == "BadRequestException")
            (_, body) = try await server.graphQL(
                "mutation { updatePost(input: {id: \"p1\", _version: 1, title: \"\\u0000\"}) { id } }"
            )
            #expect(firstError(body)?["errorType"] == "BadRequestException")
            // Too deep.
            let deep =
                "{ getPost(id: \"p1\") { " + String(repeating: "comments { items { post { ", count: 5)
                + "id" + String(repeating: " } } }", count: 5) + " } }"
            (_, body) = try await server.graphQL(deep)
            #expect(firstError(body)?["message"].map { "\($0)".contains("levels deep") } == true)
            // Subscriptions belong on the WebSocket.
            (_, body) = try await server.graphQL("subscription { onCreatePost { id } }")
            #expect(firstError(body)?["errorType"] == "BadRequestException")

            #expect(try await server.dataSource.list("Post").items == before)
            (status, _) = try await server.graphQL("{ listPosts { items { id } } }")
            #expect(status == .ok)
        }
    }
}
