import DataStore
import DataStoreAppSync
import DataStoreSchema
import DataStoreServer
import DataStoreServerTesting
import DataStoreTesting
import Foundation
import HTTPTypes
import Testing

/// The protocol module's client side against the real server: what a syncing client will send
/// is built by `DataStoreAppSync`, and every answer is read by its decoders.
@Suite("Protocol module against the server")
struct ProtocolExchangeTests {
    static let documents: ModelDocuments = {
        let document = try! SchemaParser.parse(testSchema)
        let post = document.models.first { $0.schema.name == "Post" }!
        return ModelDocuments(schema: post.schema)
    }()

    /// The next frame that is not a keep-alive, decoded by the client-side decoder.
    static func nextMessage(_ client: RealtimeClient) async throws -> RealtimeServerMessage? {
        while let text = await client.nextText() {
            let message = try RealtimeServerMessage(text: text)
            if message != .keepAlive { return message }
        }
        return nil
    }

    @Test("real-time: every handshake form, start, data, error and complete, decoded client-side")
    func realtime() async throws {
        let documents = Self.documents
        try await withTestServer(schema: testSchema) { server in
            let authorization = ["host": "127.0.0.1:\(server.port)", "x-api-key": server.apiKey]
            for form in RealtimeHandshake.Form.allCases {
                let upgrade = RealtimeHandshake.upgrade(authorization: authorization, form: form)
                var headers: HTTPFields = [.secWebSocketProtocol: upgrade.subprotocols.joined(separator: ", ")]
                for (name, value) in upgrade.headers { headers[HTTPField.Name(name)!] = value }
                let url = server.realtimeEndpoint + (upgrade.query.map { "?" + $0 } ?? "")
                try await withRealtimeClient(url, headers: headers) { client in
                    client.send(RealtimeClientMessage.connectionInit.text)
                    #expect(try await Self.nextMessage(client) == .connectionAck(connectionTimeoutMs: 300_000))

                    let request = try #require(documents.subscriptionRequest(.created))
                    client.send(
                        RealtimeClientMessage.start(
                            id: "creates",
                            request: request,
                            authorization: .object(authorization.mapValues { .string($0) })
                        ).text
                    )
                    #expect(try await Self.nextMessage(client) == .startAck(id: "creates"))

                    let created = try await server.dataSource.create(
                        "Post",
                        input: [
                            "title": .string("\(form)"), "tags": ["a", "b"], "publishedAt": "2026-12-07T10:00:00Z",
                        ]
                    )
                    guard case .data(let id, let payload)? = try await Self.nextMessage(client) else {
                        Issue.record("expected a data message")
                        return
                    }
                    #expect(id == "creates")
                    let item = try documents.subscriptionEvent(.created, GraphQLResponse(decoding: payload))
                    #expect(item.version == 1 && !item.isDeleted && item.model == "Post")
                    let values = Dictionary(uniqueKeysWithValues: zip(documents.schema.fields.map(\.name), item.values))
                    #expect(values["id"] == created["id"])
                    #expect(values["title"] == .string("\(form)"))
                    #expect(values["tags"] == ["a", "b"])
                    #expect(values["publishedAt"] == "2026-12-07T10:00:00.000Z")

                    // A refused start: an error frame with the subscription's id, decoded.
                    client.send(
                        RealtimeClientMessage.start(
                            id: "bad",
                            request: OperationRequest(query: "subscription { onCreatePost { nope } }"),
                            authorization: nil
                        ).text
                    )
                    guard case .error(let errorID, let errors)? = try await Self.nextMessage(client) else {
                        Issue.record("expected an error message")
                        return
                    }
                    #expect(errorID == "bad")
                    #expect(errors.first?.errorType == .badRequest)
                    #expect(errors.first?.locations.isEmpty == false)

                    client.send(RealtimeClientMessage.stop(id: "creates").text)
                    #expect(try await Self.nextMessage(client) == .complete(id: "creates"))
                }
            }
            // A connection without credentials: connection_error 401, decoded.
            try await withRealtimeClient(server.realtimeEndpoint) { client in
                client.send(RealtimeClientMessage.connectionInit.text)
                guard case .connectionError(let errors)? = try await Self.nextMessage(client) else {
                    Issue.record("expected connection_error")
                    return
                }
                #expect(errors.map(\.errorType) == [.unauthorized])
                #expect(errors.map(\.errorCode) == [401])
            }
        }
    }

    @Test("HTTP: the client's sync query and mutations, answers and errors decoded client-side")
    func http() async throws {
        let documents = Self.documents
        try await withTestServer(schema: testSchema) { server in
            func send(_ request: OperationRequest) async throws -> GraphQLResponse {
                try GraphQLResponse(
                    decoding: await postGraphQL(
                        server,
                        request.query,
                        variables: .object(request.variables)
                    )
                )
            }
            var values: [String: FieldValue] = ["id": "p1", "title": "First", "rating": 3, "status": "DRAFT"]
            let created = try documents.mutationResult(
                .created,
                try await send(#require(documents.mutationRequest(.created, values: values, version: nil)))
            )
            #expect(created.version == 1)
            values["title"] = "Second"
            let updated = try documents.mutationResult(
                .updated,
                try await send(#require(documents.mutationRequest(.updated, values: values, version: 1)))
            )
            #expect(updated.version == 2)
            #expect(updated.values[documents.schema.fieldIndex(named: "title")!] == "Second")

            // A false condition: the backend's error, read as a service error.
            let refused = try await send(
                #require(
                    documents.mutationRequest(.updated, values: values, version: 2, condition: ["rating": ["gt": 5]])
                )
            )
            #expect(throws: AppSyncResponseError.self) { try documents.mutationResult(.updated, refused) }
            #expect(refused.errors.first?.errorType == .conditionalCheckFailed)

            for index in 0..<5 {
                _ = try await server.dataSource.create("Post", input: ["title": .string("bulk \(index)")])
            }
            var items: [RemoteItem] = []
            var token: String?
            var startedAt: Int64?
            repeat {
                let page = try SyncPage(
                    response: try await send(documents.syncRequest(limit: 2, nextToken: token)),
                    documents: documents
                )
                items += page.items
                token = page.nextToken
                startedAt = page.startedAt
            } while token != nil
            #expect(items.count == 6)
            #expect(startedAt != nil)

            _ = try documents.mutationResult(
                .deleted,
                try await send(#require(documents.mutationRequest(.deleted, values: values, version: 2)))
            )
            let delta = try SyncPage(
                response: try await send(documents.syncRequest(lastSync: startedAt)),
                documents: documents
            )
            #expect(delta.items.map(\.isDeleted) == [true])
            #expect(delta.items.first?.version == 3)
        }
    }

    @Test("a schema of names Swift reserves: served, written and synced under its GraphQL names")
    func swiftReservedNames() async throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "CorpusModels/SwiftNames/schema.graphql")
        let sdl = try String(contentsOf: url, encoding: .utf8)
        let document = try SchemaParser.parse(sdl)
        let model = try #require(document.models.first { $0.schema.name == "Type" })
        let documents = ModelDocuments(schema: model.schema)
        try await withTestServer(schema: sdl) { server in
            func send(_ request: OperationRequest) async throws -> GraphQLResponse {
                try GraphQLResponse(
                    decoding: await postGraphQL(server, request.query, variables: .object(request.variables))
                )
            }
            let values: [String: FieldValue] = [
                "id": "t1", "class": "c", "protocol": "p", "self": "me", "Type": true, "Protocol": 1.5,
                "fieldValues": "f", "consume": "x", "in": ["a"], "where": "self", "extension": ["class": "inner"],
            ]
            let created = try documents.mutationResult(
                .created,
                try await send(#require(documents.mutationRequest(.created, values: values, version: nil)))
            )
            let stored = Dictionary(uniqueKeysWithValues: zip(model.schema.fields.map(\.name), created.values))
            #expect(stored["class"] == "c" && stored["Type"] == true && stored["where"] == "self")
            #expect(stored["Protocol"] == 1.5 && stored["protocol"] == "p")
            let page = try SyncPage(response: try await send(documents.syncRequest()), documents: documents)
            #expect(page.items == [created])
        }
    }

    @Test("types that contain themselves: written whole, answered and synced to the documented depth")
    func typesThatContainThemselves() async throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "CorpusModels/Recursive/schema.graphql")
        let sdl = try String(contentsOf: url, encoding: .utf8)
        let model = try #require(try SchemaParser.parse(sdl).models.first { $0.schema.name == "Folder" })
        let documents = ModelDocuments(schema: model.schema)
        let rootIndex = try #require(model.schema.fields.firstIndex { $0.name == "root" })
        /// A chain of `levels` nodes through `children`, with a parent link on each.
        @Sendable func chain(_ levels: Int) -> FieldValue {
            var node: FieldValue = ["label": .string("L\(levels)")]
            for level in stride(from: levels - 1, through: 1, by: -1) {
                node = ["label": .string("L\(level)"), "children": [node], "parent": ["label": "up"]]
            }
            return node
        }
        /// How many nodes deep a value goes through `children`.
        @Sendable func depth(_ value: FieldValue) -> Int {
            guard case .object(let members) = value else { return 0 }
            guard case .list(let children)? = members["children"] else { return 1 }
            return 1 + (children.map(depth).max() ?? 0)
        }
        /// The value without its null members (the answer selects fields the input left out).
        @Sendable func withoutNulls(_ value: FieldValue) -> FieldValue {
            switch value {
            case .object(let members): .object(members.filter { $0.value != .null }.mapValues(withoutNulls))
            case .list(let elements): .list(elements.map(withoutNulls))
            default: value
            }
        }
        try await withTestServer(schema: sdl) { server in
            func send(_ request: OperationRequest) async throws -> GraphQLResponse {
                try GraphQLResponse(
                    decoding: await postGraphQL(server, request.query, variables: .object(request.variables))
                )
            }
            // Within the limit: the answer and the sync page carry the whole value.
            let shallow = chain(ModelDocuments.recursionLimit + 1)
            let created = try documents.mutationResult(
                .created,
                try await send(
                    #require(
                        documents.mutationRequest(
                            .created,
                            values: ["id": "f1", "name": "a", "root": shallow],
                            version: nil
                        )
                    )
                )
            )
            #expect(withoutNulls(created.values[rootIndex]) == shallow)
            // Deeper: the server keeps it all; the client's selection brings back the documented depth.
            let deep = chain(ModelDocuments.recursionLimit + 4)
            let deepCreated = try documents.mutationResult(
                .created,
                try await send(
                    #require(
                        documents.mutationRequest(
                            .created,
                            values: ["id": "f2", "name": "b", "root": deep],
                            version: nil
                        )
                    )
                )
            )
            #expect(depth(deep) == ModelDocuments.recursionLimit + 4)
            #expect(depth(deepCreated.values[rootIndex]) == ModelDocuments.recursionLimit + 1)
            let page = try SyncPage(response: try await send(documents.syncRequest()), documents: documents)
            #expect(page.items.count == 2 && page.items.contains(created))
            let stored = try #require(try await server.dataSource.get("Folder", key: ["id": "f2"]))
            #expect(depth(stored["root"] ?? .null) == ModelDocuments.recursionLimit + 4)
        }
    }
}
