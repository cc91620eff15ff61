import DataStore
import DataStoreServer
import DataStoreServerTesting
import DataStoreTesting
import Foundation
import HTTPTypes
import NIOWebSocket
import Testing
import WSCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A server for `testSchema` with a manual clock, and its real-time URL.
private func withRealtimeServer<Result: Sendable>(
    _ options: ServerOptions = ServerOptions(),
    _ body: @Sendable (TestServer, ManualClock) async throws -> Result
) async throws -> Result {
    let clock = ManualClock()
    var configuration = ServerConfiguration()
    configuration.clock = clock
    return try await withTestServer(schema: testSchema, configuration: configuration, options: options) { server in
        try await body(server, clock)
    }
}

/// The `header` query parameter of gql's handshake: raw base64 of the authorization object.
func headerParameter(host: String, apiKey: String) -> String {
    let json = FieldValue.object(["host": .string(host), "x-api-key": .string(apiKey)]).jsonText
    return "header=\(Data(json.utf8).base64EncodedString())&payload=e30="
}

/// A connection that completed `connection_init` with the server's key.
func withConnectedClient<Result>(
    _ server: TestServer,
    timeout: Duration = .seconds(120),
    _ body: (RealtimeClient) async throws -> Result
) async throws -> Result {
    try await withRealtimeClient(
        server.realtimeEndpoint + "?" + headerParameter(host: "127.0.0.1:\(server.port)", apiKey: server.apiKey),
        timeout: timeout
    ) { client in
        let ack = try await client.initialize()
        #expect(ack == ["type": "connection_ack", "payload": ["connectionTimeoutMs": 300_000]])
        return try await body(client)
    }
}

let onCreatePost =
    "subscription S($filter: ModelSubscriptionPostFilterInput) { onCreatePost(filter: $filter) { id title rating _version } }"

@Suite("Real-time WebSocket endpoint")
struct RealtimeTests {
    @Test("each of the three handshake forms is accepted, on /graphql/realtime and /graphql")
    func handshakes() async throws {
        try await withRealtimeServer { server, _ in
            let host = "127.0.0.1:\(server.port)"
            let authorization = FieldValue.object(["host": .string(host), "x-api-key": .string(server.apiKey)]).jsonText
            let base64URL = Data(authorization.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            let base = "ws://127.0.0.1:\(server.port)"
            let variants: [(String, HTTPFields)] = [
                // gql: the query string, raw base64.
                (
                    "\(base)/graphql?\(headerParameter(host: host, apiKey: server.apiKey))",
                    [.secWebSocketProtocol: "graphql-ws"]
                ),
                // amplify-js: a header- subprotocol.
                ("\(base)/graphql/realtime", [.secWebSocketProtocol: "graphql-ws, header-\(base64URL)"]),
                // amplify-swift: plain request headers.
                (
                    "\(base)/graphql/realtime",
                    [.secWebSocketProtocol: "graphql-ws", HTTPField.Name("x-api-key")!: server.apiKey]
                ),
            ]
            for (index, (url, headers)) in variants.enumerated() {
                try await withRealtimeClient(url, headers: headers) { client in
                    let ack = try await client.initialize()
                    #expect(ack?["type"] == "connection_ack", "variant \(index)")
                    #expect(try await client.start("1", onCreatePost) == ["id": "1", "type": "start_ack"])
                    _ = try await server.dataSource.create("Post", input: ["title": .string("variant \(index)")])
                    let event = try await client.nextEvent()
                    #expect(event?["id"] == "1" && event?["type"] == "data")
                    #expect(event?["payload"]?["data"]?["onCreatePost"]?["title"] == .string("variant \(index)"))
                }
            }
        }
    }

    @Test("a connection without a valid key gets connection_error 401 and is closed")
    func unauthorized() async throws {
        try await withRealtimeServer { server, _ in
            let host = "127.0.0.1:\(server.port)"
            for url in [
                server.realtimeEndpoint,
                server.realtimeEndpoint + "?" + headerParameter(host: host, apiKey: "da2-wrong"),
            ] {
                try await withRealtimeClient(url) { client in
                    let answer = try await client.initialize()
                    #expect(answer?["type"] == "connection_error")
                    #expect(answer?["payload"]?["errors"]?[0]?["errorType"] == "UnauthorizedException")
                    #expect(answer?["payload"]?["errors"]?[0]?["errorCode"] == 401)
                    // A start on the refused connection is not served: nothing but the close follows.
                    client.send(#"{"id":"1","type":"start","payload":{"data":"{}"}}"#)
                    #expect(try await client.next() == nil)
                    #expect(await client.closed()?.closeCode == .normalClosure)
                }
            }
            // The server serves others as before.
            let answer = try await withConnectedClient(server) { client in try await client.start("1", onCreatePost) }
            #expect(answer?["type"] == "start_ack")
        }
    }

    @Test("creates, updates and deletes reach their subscriptions, filtered and in version order")
    func events() async throws {
        try await withRealtimeServer { server, _ in
            try await withConnectedClient(server) { client in
                let fields = "id title rating _version _deleted"
                #expect(try await client.start("all-creates", onCreatePost)?["type"] == "start_ack")
                #expect(
                    try await client.start(
                        "good-creates",
                        onCreatePost,
                        variables: ["filter": ["rating": ["gt": 3]]]
                    )?["type"] == "start_ack"
                )
                #expect(
                    try await client.start("updates", "subscription { onUpdatePost { \(fields) } }")?["type"]
                        == "start_ack"
                )
                #expect(
                    try await client.start("deletes", "subscription { onDeletePost { \(fields) } }")?["type"]
                        == "start_ack"
                )
                let dataSource = server.dataSource
                let poor = try await dataSource.create("Post", input: ["title": "Poor", "rating": 1])
                let first = try await client.nextEvent()
                #expect(first?["id"] == "all-creates")
                #expect(
                    first?["payload"] == [
                        "data": ["onCreatePost": ["id": poor["id"]!, "title": "Poor", "rating": 1, "_version": 1]]
                    ]
                )

                let good = try await dataSource.create("Post", input: ["title": "Good", "rating": 5])
                var received: [FieldValue: FieldValue] = [:]
                for _ in 0..<2 {
                    let event = try #require(try await client.nextEvent())
                    received[event["id"]!] = event["payload"]?["data"]?["onCreatePost"]?["title"]
                }
                // The filtered subscription skipped "Poor" and received "Good".
                #expect(received == ["all-creates": "Good", "good-creates": "Good"])

                let id = good["id"]!
                // Two updates back to back: their events arrive in version order.
                _ = try await dataSource.update("Post", input: ["id": id, "_version": 1, "title": "Better"])
                _ = try await dataSource.update("Post", input: ["id": id, "_version": 2, "title": "Best"])
                let update1 = try await client.nextEvent()
                let update2 = try await client.nextEvent()
                #expect(update1?["id"] == "updates" && update2?["id"] == "updates")
                #expect(update1?["payload"]?["data"]?["onUpdatePost"]?["_version"] == 2)
                #expect(update2?["payload"]?["data"]?["onUpdatePost"]?["title"] == "Best")
                #expect(update2?["payload"]?["data"]?["onUpdatePost"]?["_version"] == 3)

                _ = try await dataSource.delete("Post", input: ["id": id, "_version": 3])
                let deletion = try await client.nextEvent()
                #expect(deletion?["id"] == "deletes")
                #expect(deletion?["payload"]?["data"]?["onDeletePost"]?["_deleted"] == true)
                #expect(deletion?["payload"]?["data"]?["onDeletePost"]?["_version"] == 4)
            }
        }
    }

    @Test("a mutation over HTTP is published with the subscriber's selection, relations resolved")
    func selectionAndRelations() async throws {
        try await withRealtimeServer { server, _ in
            try await withConnectedClient(server) { client in
                #expect(
                    try await client.start("c", "subscription { onCreateComment { content post { title } } }")?["type"]
                        == "start_ack"
                )
                let post = try await server.dataSource.create("Post", input: ["title": "Parent"])
                let response = try await postGraphQL(
                    server,
                    "mutation($input: CreateCommentInput!) { createComment(input: $input) { id } }",
                    variables: ["input": ["content": "Hi", "postCommentsId": post["id"]!]]
                )
                #expect(response["errors"] == nil)
                let event = try await client.nextEvent()
                #expect(
                    event == [
                        "id": "c", "type": "data",
                        "payload": ["data": ["onCreateComment": ["content": "Hi", "post": ["title": "Parent"]]]],
                    ]
                )
            }
        }
    }

    @Test("writes made while a client syncs reach it as events: sync and events together miss nothing")
    func eventsDuringSync() async throws {
        try await withRealtimeServer { server, _ in
            let dataSource = server.dataSource
            for index in 0..<30 { _ = try await dataSource.create("Post", input: ["title": .string("old \(index)")]) }
            try await withConnectedClient(server) { client in
                // As Amplify does: subscribe first, then sync.
                #expect(try await client.start("c", "subscription { onCreatePost { id } }")?["type"] == "start_ack")
                var synced: Set<FieldValue> = []
                var written: Set<FieldValue> = []
                var token: String?
                repeat {
                    let page = try await dataSource.sync("Post", limit: 10, nextToken: token)
                    for item in page.items { synced.insert(item["id"]!) }
                    token = page.nextToken
                    // A write between two pages of the sync.
                    written.insert(try await dataSource.create("Post", input: ["title": "new"])["id"]!)
                } while token != nil
                var events: Set<FieldValue> = []
                while events.count < written.count {
                    let event = try #require(try await client.nextEvent())
                    events.insert(event["payload"]!["data"]!["onCreatePost"]!["id"]!)
                }
                #expect(events == written)
                #expect(synced.union(events).count == 30 + written.count)
            }
        }
    }

    @Test("stop answers complete and ends the subscription's events")
    func stop() async throws {
        try await withRealtimeServer { server, _ in
            try await withConnectedClient(server) { client in
                #expect(try await client.start("a", onCreatePost)?["type"] == "start_ack")
                client.send(["id": "a", "type": "stop"])
                #expect(try await client.nextEvent() == ["id": "a", "type": "complete"])
                #expect(try await client.start("b", onCreatePost)?["type"] == "start_ack")
                _ = try await server.dataSource.create("Post", input: ["title": "After"])
                // Only the running subscription receives it.
                #expect(try await client.nextEvent()?["id"] == "b")
                // The id of a stopped subscription may be used again.
                #expect(try await client.start("a", onCreatePost)?["type"] == "start_ack")
            }
        }
    }

    @Test("bad messages are answered with an error and the connection goes on")
    func badMessages() async throws {
        try await withRealtimeServer { server, _ in
            try await withRealtimeClient(
                server.realtimeEndpoint + "?"
                    + headerParameter(host: "127.0.0.1:\(server.port)", apiKey: server.apiKey)
            ) { client in
                func expectError(
                    _ id: FieldValue?,
                    _ errorType: String,
                    sourceLocation: SourceLocation = #_sourceLocation
                )
                    async throws
                {
                    let answer = try await client.nextEvent()
                    #expect(answer?["type"] == "error", sourceLocation: sourceLocation)
                    #expect(answer?["id"] == id, sourceLocation: sourceLocation)
                    #expect(
                        answer?["payload"]?["errors"]?[0]?["errorType"] == .string(errorType),
                        sourceLocation: sourceLocation
                    )
                }
                // start before connection_init
                #expect(
                    try await client.start("early", onCreatePost)?["payload"]?["errors"]?[0]?["errorType"]
                        == "UnsupportedOperation"
                )
                #expect(try await client.initialize()?["type"] == "connection_ack")
                client.send("{not json")
                try await expectError(nil, "BadRequestException")
                client.send(#"["type"]"#)
                try await expectError(nil, "BadRequestException")
                client.send(#"{"id":"x","type":"subscribe"}"#)
                try await expectError("x", "UnsupportedOperation")
                client.send(#"{"id":"x","type":"start","payload":{"data":{"query":"not a string"}}}"#)
                try await expectError("x", "BadRequestException")
                // Invalid GraphQL, an unknown field, a wrong variable type, a query, a bad filter.
                let refused: [(String, FieldValue, String)] = [
                    ("subscription {", [:], "BadRequestException"),
                    ("subscription { onCreatePost { id nope } }", [:], "BadRequestException"),
                    (onCreatePost, ["filter": ["rating": ["gt": "three"]]], "BadRequestException"),
                    ("query { listPosts { items { id } } }", [:], "UnsupportedOperation"),
                    ("subscription { onCreatePost { id } onUpdatePost { id } }", [:], "BadRequestException"),
                    (onCreatePost, ["filter": ["rating": ["between": [1]]]], "BadRequestException"),
                ]
                for (index, (query, variables, errorType)) in refused.enumerated() {
                    let answer = try await client.start("bad\(index)", query, variables: variables)
                    #expect(answer?["type"] == "error", "\(query)")
                    #expect(answer?["id"] == .string("bad\(index)"))
                    #expect(answer?["payload"]?["errors"]?[0]?["errorType"] == .string(errorType), "\(query)")
                }
                // A reused id.
                #expect(try await client.start("dup", onCreatePost)?["type"] == "start_ack")
                let duplicate = try await client.start("dup", onCreatePost)
                #expect(duplicate?["payload"]?["errors"]?[0]?["errorType"] == "DuplicatedOperationError")
                // Still serving; nothing was stored by any of it.
                #expect(try await server.dataSource.list("Post").items.isEmpty)
                _ = try await server.dataSource.create("Post", input: ["title": "Still here"])
                #expect(try await client.nextEvent()?["payload"]?["data"]?["onCreatePost"]?["title"] == "Still here")
            }
        }
    }

    @Test("limits: subscriptions per connection and event payload size")
    func limits() async throws {
        var options = ServerOptions()
        options.realtime.maximumSubscriptionsPerConnection = 3
        options.realtime.maximumPayloadSize = 2_000
        try await withRealtimeServer(options) { server, _ in
            try await withConnectedClient(server) { client in
                for id in 1...3 {
                    #expect(try await client.start("\(id)", onCreatePost)?["type"] == "start_ack")
                }
                let refused = try await client.start("4", onCreatePost)
                #expect(refused?["payload"]?["errors"]?[0]?["errorType"] == "MaxSubscriptionsReachedError")
                client.send(["id": "3", "type": "stop"])
                #expect(try await client.nextEvent()?["type"] == "complete")
                #expect(try await client.start("4", onCreatePost)?["type"] == "start_ack")

                _ = try await server.dataSource.create(
                    "Post",
                    input: ["title": .string(String(repeating: "x", count: 5_000))]
                )
                var errors: Set<FieldValue> = []
                for _ in 0..<3 {
                    let event = try #require(try await client.nextEvent())
                    #expect(event["type"] == "error")
                    #expect(event["payload"]?["errors"]?[0]?["errorType"] == "LimitExceededError")
                    errors.insert(event["id"]!)
                }
                #expect(errors == ["1", "2", "4"])
                // The write itself is stored, and smaller events flow again.
                #expect(try await server.dataSource.list("Post").items.count == 1)
                _ = try await server.dataSource.create("Post", input: ["title": "small"])
                #expect(try await client.nextEvent()?["type"] == "data")
            }
        }
    }

    @Test("keep-alive every interval on the injected clock; no connection_init in time closes")
    func timers() async throws {
        try await withRealtimeServer { server, clock in
            try await withConnectedClient(server) { (client: RealtimeClient) async throws -> Void in
                // connection_ack is followed by a first ka at once.
                #expect(try await client.next() == ["type": "ka"])
                for _ in 0..<3 {
                    await clock.sleeper(dueAt: clock.now.advanced(by: .seconds(60)))  // the ka timer
                    clock.advance(by: .seconds(60))
                    #expect(try await client.next() == ["type": "ka"])
                }
            }
            await server.application.realtimeConnectionsClosed()
            // The clock stands still until the deadline is armed, so it is 30 s from now. (The
            // closed connection's timers may not all be gone yet: counting sleepers could be off.)
            let initDeadline = clock.now.advanced(by: .seconds(30))
            try await withRealtimeClient(
                server.realtimeEndpoint + "?"
                    + headerParameter(host: "127.0.0.1:\(server.port)", apiKey: server.apiKey)
            ) { client in
                // A round trip first, so the client is reading before the deadline comes: an
                // unknown message is answered with an error and does not count as connection_init.
                client.send(["type": "hello"])
                #expect(try await client.next()?["type"] == "error")
                await clock.sleeper(dueAt: initDeadline)
                clock.advance(by: .seconds(29))
                clock.advance(by: .seconds(1))
                let answer = try await client.next()
                #expect(answer?["type"] == "connection_error")
                #expect(answer?["payload"]?["errors"]?[0]?["errorType"] == "ConnectionTimeout")
                #expect(await client.closed()?.closeCode == .normalClosure)
            }
        }
    }

    @Test("a client that reads too slowly is disconnected with LimitExceededError; others are served")
    func slowConsumer() async throws {
        var options = ServerOptions()
        options.realtime.outboundBufferSize = 256 * 1024
        // The clients here stop reading for as long as filling their queues takes (minutes under
        // ThreadSanitizer); unanswered pings would disconnect them before their queues overflow.
        options.realtime.pingInterval = nil
        try await withRealtimeServer(options) { server, clock in
            let big = String(repeating: "y", count: 60_000)
            // Generous: megabytes of events take a while under ThreadSanitizer.
            try await withConnectedClient(server, timeout: .seconds(300)) { slow in
                #expect(try await slow.start("1", "subscription { onCreatePost { title } }")?["type"] == "start_ack")
                slow.gate.close()
                var sent = 0
                try await withConnectedClient(server, timeout: .seconds(300)) { fast in
                    #expect(try await fast.start("1", "subscription { onCreatePost { id } }")?["type"] == "start_ack")
                    // The slow connection's grace period starts when its queue overflows — after
                    // the socket buffers and the server's queue filled, while the fast client got
                    // every event. The clock stands still, so its deadline is 5 s from now.
                    let graceDeadline = clock.now.advanced(by: .seconds(5))
                    while !clock.hasSleeper(dueAt: graceDeadline) {
                        _ = try await server.dataSource.create("Post", input: ["title": .string("\(sent) \(big)")])
                        sent += 1
                        // A fast client that stopped receiving would end the loop's premise.
                        guard try await fast.nextEvent()?["type"] == "data" else {
                            Issue.record("the fast client missed event \(sent)")
                            return
                        }
                    }
                }
                // The slow client now reads: the events that fitted, then the error, then the close.
                slow.gate.open()
                var data = 0
                var last: FieldValue?
                while let message = try await slow.next() {
                    if message["type"] == "data" { data += 1 } else if message["type"] != "ka" { last = message }
                }
                #expect(data > 0 && data < sent)
                #expect(last?["type"] == "error")
                #expect(last?["payload"]?["errors"]?[0]?["errorType"] == "LimitExceededError")
                #expect(await slow.closed()?.closeCode == .policyViolation)
            }
            await server.application.realtimeConnectionsClosed()
            // One that never reads again is cut off when the grace period ends.
            try await withConnectedClient(server, timeout: .seconds(300)) { stalled in
                #expect(try await stalled.start("1", "subscription { onCreatePost { title } }")?["type"] == "start_ack")
                stalled.gate.close()
                // The grace period starts when the server gives up on the client (its queue
                // overflowed).
                let graceDeadline = clock.now.advanced(by: .seconds(5))
                var index = 0
                while !clock.hasSleeper(dueAt: graceDeadline) {
                    _ = try await server.dataSource.create("Post", input: ["title": .string("\(index) \(big)")])
                    index += 1
                }
                #expect(await server.application.realtimeStatistics().connections == 1)
                clock.advance(by: .seconds(5))
                // Closed by the server without the client reading a byte.
                await server.application.realtimeConnectionsClosed()
            }
            // Still serving.
            let answer = try await withConnectedClient(server) { client in try await client.start("1", onCreatePost) }
            #expect(answer?["type"] == "start_ack")
        }
    }
}

extension RealtimeTests {
    @Test("a client that stops answering WebSocket pings is disconnected", .timeLimit(.minutes(1)))
    func pingTimeout() async throws {
        var options = ServerOptions()
        options.realtime.pingInterval = .milliseconds(200)
        try await withRealtimeServer(options) { server, _ in
            try await withConnectedClient(server) { silent in
                // The client answers pings while it waits for a message; once the start_ack is
                // read, the closed gate keeps it from reading (and answering) anything.
                silent.gate.close()
                silent.send(
                    [
                        "id": "1", "type": "start",
                        "payload": ["data": .string(#"{"query":"subscription { onCreatePost { id } }"}"#)],
                    ]
                )
                #expect(await server.application.realtimeStatistics().connections == 1)
                // Pinged after 200 ms, and disconnected when the next ping finds no answer.
                await server.application.realtimeConnectionsClosed()
            }
        }
    }
}

/// Posts a GraphQL request to the server's HTTP endpoint.
func postGraphQL(_ server: TestServer, _ query: String, variables: FieldValue = [:]) async throws -> FieldValue {
    try await postGraphQL(server.endpoint, apiKey: server.apiKey, query, variables: variables)
}

/// Posts a GraphQL request to `endpoint`.
func postGraphQL(
    _ endpoint: String,
    apiKey: String,
    _ query: String,
    variables: FieldValue = [:]
) async throws -> FieldValue {
    var request = URLRequest(url: URL(string: endpoint)!)
    request.httpMethod = "POST"
    request.setValue(apiKey, forHTTPHeaderField: "x-api-key")
    request.setValue("application/json", forHTTPHeaderField: "content-type")
    request.httpBody = Data(FieldValue.object(["query": .string(query), "variables": variables]).jsonText.utf8)
    let (data, _) = try await URLSession.shared.data(for: request)
    return try FieldValue(jsonText: String(decoding: data, as: UTF8.self))
}
