import DataStore
import DataStoreAppSync
import DataStoreServer
import DataStoreServerTesting
import DataStoreTesting
import Foundation
import HTTPTypes
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `@auth` rules end to end: a real server on loopback, real tokens, each identity against each
/// operation, over HTTP and the real-time WebSocket.
@Suite("Auth rules")
struct AuthRulesTests {
    static let schema = """
        type Post @model @auth(rules: [
          {allow: owner},
          {allow: groups, groups: ["Admin"]},
          {allow: public, operations: [read]}
        ]) {
          id: ID!
          title: String!
          comments: [Comment] @hasMany(indexName: "byPost", fields: ["id"])
        }
        type Comment @model @auth(rules: [{allow: owner}, {allow: groups, groups: ["Admin"]}]) {
          id: ID!
          postID: ID! @index(name: "byPost")
          content: String!
          post: Post @belongsTo(fields: ["postID"])
        }
        """

    /// The server's clock starts here; tokens are issued at this time.
    static let start = Date(timeIntervalSince1970: 1_790_000_000)
    static let issuer = try! TestTokenIssuer(algorithm: .rs256, issuer: "https://users.test")
    static let forger = try! TestTokenIssuer(algorithm: .rs256, issuer: "https://users.test", rsaKey: 1)

    /// How a request proves who it is.
    enum Credential: CustomStringConvertible {
        case none
        case apiKey(String)
        case token(String)

        var description: String {
            switch self {
            case .none: "none"
            case .apiKey(let key): "key \(key)"
            case .token: "token"
            }
        }
    }

    /// A user of the tests: a name, and the owner value a create stores for it.
    struct User {
        let name: String
        let credential: Credential
        let owner: String?
    }

    static func user(_ name: String, sub: String, groups: [String] = []) -> User {
        User(
            name: name,
            credential: .token(try! issuer.token(sub: sub, username: name, groups: groups, now: start)),
            owner: "\(sub)::\(name)"
        )
    }

    static let alice = user("alice", sub: "a-1")
    static let bob = user("bob", sub: "b-2")
    static let carol = user("carol", sub: "c-3", groups: ["Admin"])
    static let dave = user("dave", sub: "d-4", groups: ["Readers"])
    static let key = User(name: "key", credential: .apiKey("da2-test-key"), owner: nil)

    /// Credentials the server must refuse before any rule is read.
    static var refusedCredentials: [(String, Credential)] {
        let claims: [String: FieldValue] = [
            "sub": "a-1", "username": "alice", "iss": .string(issuer.issuer), "aud": .string(issuer.audience),
            "exp": .int(Int(start.timeIntervalSince1970) + 3600),
        ]
        let valid = try! issuer.sign(claims: claims)
        let parts = valid.split(separator: ".")
        return [
            ("no credentials", .none),
            ("a wrong key", .apiKey("da2-wrong")),
            ("an expired key", .apiKey("da2-expired")),
            ("an expired token", .token(try! issuer.token(sub: "a-1", username: "alice", now: start, expiresIn: -1))),
            (
                "a forged token",
                .token(try! forger.sign(claims: claims, header: ["alg": "RS256", "kid": .string(issuer.keyID)]))
            ),
            ("an unsigned token", .token(Base64URL.encode(Array(#"{"alg":"none"}"#.utf8)) + "." + parts[1] + ".")),
        ]
    }

    static func withAuthServer(_ body: @Sendable (TestServer, ManualClock) async throws -> Void) async throws {
        let clock = ManualClock(startMillisecondsSince1970: Int64(start.timeIntervalSince1970) * 1000)
        var configuration = ServerConfiguration()
        configuration.clock = clock
        var options = ServerOptions()
        options.apiKeys = [APIKey("da2-expired", expires: start.addingTimeInterval(-60))]
        options.tokenIssuers = [try issuer.tokenIssuer]
        try await withTestServer(schema: schema, configuration: configuration, options: options) { server in
            try await body(server, clock)
        }
    }

    /// Posts a GraphQL request with `credential`; the HTTP status and the body.
    static func request(
        _ server: TestServer,
        _ query: String,
        _ credential: Credential
    ) async throws -> (status: Int, body: FieldValue) {
        var request = URLRequest(url: URL(string: server.endpoint)!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        switch credential {
        case .none: break
        case .apiKey(let key): request.setValue(key, forHTTPHeaderField: "x-api-key")
        case .token(let token): request.setValue(token, forHTTPHeaderField: "Authorization")
        }
        request.httpBody = Data(FieldValue.object(["query": .string(query)]).jsonText.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return (status, try FieldValue(jsonText: String(decoding: data, as: UTF8.self)))
    }

    /// What a request came to, in a word: `401`, `refused` (Unauthorized, nothing returned),
    /// `ok`, or the ids it returned, sorted and joined.
    static func outcome(
        _ answer: (status: Int, body: FieldValue),
        root: String,
        ids: (FieldValue) -> [String]?
    ) -> String {
        if answer.status == 401 { return "401" }
        let errors = answer.body["errors"]
        let refused: Bool
        if case .list(let list)? = errors {
            refused = list.contains { $0["errorType"] == "Unauthorized" }
        } else {
            refused = false
        }
        let value = answer.body["data"]?[root] ?? .null
        if value == .null { return refused ? "refused" : "error \(answer.body)" }
        if let found = ids(value) {
            return found.sorted().joined(separator: ",") + (refused ? " (partly refused)" : "")
        }
        return refused ? "partly refused" : "ok"
    }

    static func itemIDs(_ value: FieldValue) -> [String]? {
        guard case .list(let items)? = value["items"] else { return nil }
        return items.compactMap { if case .string(let id)? = $0["id"] { id } else { nil } }
    }

    /// Items arranged as the server itself (no rules): three live posts, a deleted one each for
    /// alice and bob, two comments on bob's post; then `lastSync`, then a post each for alice
    /// and bob written after it.
    static func seed(_ server: TestServer, _ clock: ManualClock) async throws -> Int64 {
        let data = server.dataSource
        for (id, owner) in [("p-alice", alice.owner!), ("p-bob", bob.owner!), ("p-xavier", "x-9::xavier")] {
            _ = try await data.create("Post", input: ["id": .string(id), "title": "t", "owner": .string(owner)])
        }
        for (id, owner) in [("c-alice", alice.owner!), ("c-bob", bob.owner!)] {
            _ = try await data.create(
                "Comment",
                input: ["id": .string(id), "postID": "p-bob", "content": "c", "owner": .string(owner)]
            )
        }
        clock.advance(by: .seconds(1))
        let lastSync = clock.millisecondsSince1970
        clock.advance(by: .seconds(1))
        for (id, owner) in [("t-alice", alice.owner!), ("t-bob", bob.owner!)] {
            _ = try await data.create("Post", input: ["id": .string(id), "title": "t", "owner": .string(owner)])
            _ = try await data.delete("Post", input: ["id": .string(id), "_version": 1])
        }
        for (id, owner) in [("d-alice", alice.owner!), ("d-bob", bob.owner!)] {
            _ = try await data.create("Post", input: ["id": .string(id), "title": "t", "owner": .string(owner)])
        }
        return lastSync
    }

    @Test(
        "reads: get, list, sync base and delta (tombstones too) and relation fields return what each identity may read"
    )
    func reads() async throws {
        try await Self.withAuthServer { server, clock in
            let lastSync = try await Self.seed(server, clock)
            let operations: [(name: String, query: String, root: String)] = [
                ("get alice's", #"{ getPost(id: "p-alice") { id } }"#, "getPost"),
                ("get bob's", #"{ getPost(id: "p-bob") { id } }"#, "getPost"),
                ("list", "{ listPosts { items { id } } }", "listPosts"),
                ("sync base", "{ syncPosts { items { id _deleted } } }", "syncPosts"),
                ("sync delta", "{ syncPosts(lastSync: \(lastSync)) { items { id _deleted } } }", "syncPosts"),
                ("comments", #"{ listComments { items { id } } }"#, "listComments"),
                ("relation to many", #"{ getPost(id: "p-bob") { id comments { items { id } } } }"#, "getPost"),
                ("relation to one", #"{ getComment(id: "c-alice") { id post { id } } }"#, "getComment"),
            ]
            let all = "d-alice,d-bob,p-alice,p-bob,p-xavier,t-alice,t-bob"
            // A delta holds every write since lastSync: a deleted post's create and its deletion.
            let expected: [(User, [String])] = [
                // Public read: posts, not comments (no rule lets a key at them).
                (
                    Self.key,
                    [
                        "ok", "ok", all, all, "d-alice,d-bob,t-alice,t-alice,t-bob,t-bob", "refused", "partly refused",
                        "refused",
                    ]
                ),
                (
                    Self.alice,
                    [
                        "ok", "refused", "d-alice,p-alice,t-alice", "d-alice,p-alice,t-alice",
                        "d-alice,t-alice,t-alice", "c-alice",
                        "refused", "partly refused",
                    ]
                ),
                (
                    Self.bob,
                    [
                        "refused", "ok", "d-bob,p-bob,t-bob", "d-bob,p-bob,t-bob", "d-bob,t-bob,t-bob", "c-bob",
                        "c-bob", "refused",
                    ]
                ),
                (
                    Self.carol,
                    [
                        "ok", "ok", all, all, "d-alice,d-bob,t-alice,t-alice,t-bob,t-bob", "c-alice,c-bob",
                        "c-alice,c-bob", "ok",
                    ]
                ),
                (Self.dave, ["refused", "refused", "", "", "", "", "refused", "refused"]),
            ]
            for (user, outcomes) in expected {
                for (operation, outcome) in zip(operations, outcomes) {
                    let answer = try await Self.request(server, operation.query, user.credential)
                    let got = Self.outcome(answer, root: operation.root) { value in
                        if operation.name.hasPrefix("relation to many") {
                            return value["comments"].flatMap { $0 == .null ? nil : Self.itemIDs($0) }
                        }
                        return Self.itemIDs(value)
                    }
                    #expect(got == outcome, "\(user.name) \(operation.name): \(answer.body)")
                }
            }
            for (name, credential) in Self.refusedCredentials {
                for operation in operations {
                    let answer = try await Self.request(server, operation.query, credential)
                    #expect(answer.status == 401, "\(name) \(operation.name)")
                    #expect(
                        answer.body["errors"]?[0]?["errorType"] == "UnauthorizedException",
                        "\(name) \(operation.name)"
                    )
                }
            }
        }
    }

    @Test(
        "writes: creates fill the owner; others' items, owner changes and creating for someone else are refused and change nothing"
    )
    func writes() async throws {
        try await Self.withAuthServer { server, _ in
            let data = server.dataSource
            // Per user: an item of its own (when it has an identity) and two of someone else's.
            for user in [Self.key, Self.alice, Self.bob, Self.carol, Self.dave] {
                if let owner = user.owner {
                    _ = try await data.create(
                        "Post",
                        input: ["id": .string("mine-\(user.name)"), "title": "t", "owner": .string(owner)]
                    )
                }
                for prefix in ["theirs", "theirs2"] {
                    _ = try await data.create(
                        "Post",
                        input: ["id": .string("\(prefix)-\(user.name)"), "title": "t", "owner": "x-9::xavier"]
                    )
                }
            }
            func stored(_ id: String) async throws -> FieldValue? {
                try await data.get("Post", key: ["id": .string(id)])
            }

            for user in [Self.key, Self.alice, Self.bob, Self.carol, Self.dave] {
                let n = user.name
                let isAdmin = user.name == "carol"
                let hasIdentity = user.owner != nil
                func run(_ mutation: String, _ root: String) async throws -> String {
                    Self.outcome(
                        try await Self.request(
                            server,
                            "mutation { \(mutation) { id owner _version } }",
                            user.credential
                        ),
                        root: root
                    ) { _ in nil }
                }
                // A create without an owner stores the caller's identity.
                #expect(
                    try await run(#"createPost(input: {id: "new-\#(n)", title: "t"})"#, "createPost")
                        == (hasIdentity ? "ok" : "refused"),
                    "\(n)"
                )
                if let owner = user.owner { #expect(try await stored("new-\(n)")?["owner"] == .string(owner), "\(n)") }
                // A create for someone else: only the admin group may.
                #expect(
                    try await run(
                        #"createPost(input: {id: "for-\#(n)", title: "t", owner: "x-9::xavier"})"#,
                        "createPost"
                    )
                        == (isAdmin ? "ok" : "refused"),
                    "\(n)"
                )
                if !isAdmin { #expect(try await stored("for-\(n)") == nil, "\(n)") }
                if hasIdentity {
                    #expect(
                        try await run(#"updatePost(input: {id: "mine-\#(n)", title: "u", _version: 1})"#, "updatePost")
                            == "ok",
                        "\(n)"
                    )
                    if !isAdmin {
                        // The owner sent as null (a client that has not learnt it yet) is kept.
                        #expect(
                            try await run(
                                #"updatePost(input: {id: "mine-\#(n)", owner: null, _version: 2})"#,
                                "updatePost"
                            ) == "ok",
                            "\(n)"
                        )
                        #expect(try await stored("mine-\(n)")?["owner"] == .string(user.owner!), "\(n)")
                    }
                    let version = isAdmin ? 2 : 3
                    #expect(
                        try await run(
                            #"updatePost(input: {id: "mine-\#(n)", owner: "x-9::xavier", _version: \#(version)})"#,
                            "updatePost"
                        )
                            == (isAdmin ? "ok" : "refused"),
                        "\(n)"
                    )
                    if !isAdmin {
                        #expect(try await stored("mine-\(n)")?["owner"] == .string(user.owner!), "\(n)")
                        #expect(try await stored("mine-\(n)")?["_version"] == 3, "\(n)")
                    }
                }
                #expect(
                    try await run(
                        #"updatePost(input: {id: "theirs-\#(n)", title: "mine now", _version: 1})"#,
                        "updatePost"
                    )
                        == (isAdmin ? "ok" : "refused"),
                    "\(n)"
                )
                if !isAdmin { #expect(try await stored("theirs-\(n)")?["title"] == "t", "\(n)") }
                #expect(
                    try await run(#"deletePost(input: {id: "theirs2-\#(n)", _version: 1})"#, "deletePost")
                        == (isAdmin ? "ok" : "refused"),
                    "\(n)"
                )
                if !isAdmin { #expect(try await stored("theirs2-\(n)")?["_deleted"] == .null, "\(n)") }
                if hasIdentity && !isAdmin {
                    #expect(
                        try await run(#"deletePost(input: {id: "mine-\#(n)", _version: 3})"#, "deletePost") == "ok",
                        "\(n)"
                    )
                }
            }
        }
    }

    @Test("writes with refused credentials are answered 401 and change nothing")
    func refusedWrites() async throws {
        try await Self.withAuthServer { server, _ in
            _ = try await server.dataSource.create(
                "Post",
                input: ["id": "p", "title": "t", "owner": .string(Self.alice.owner!)]
            )
            let mutations = [
                #"createPost(input: {id: "q", title: "t"})"#,
                #"updatePost(input: {id: "p", title: "u", _version: 1})"#,
                #"deletePost(input: {id: "p", _version: 1})"#,
            ]
            for (name, credential) in Self.refusedCredentials {
                for mutation in mutations {
                    let answer = try await Self.request(server, "mutation { \(mutation) { id } }", credential)
                    #expect(answer.status == 401, "\(name) \(mutation)")
                    #expect(answer.body["errors"]?[0]?["errorType"] == "UnauthorizedException", "\(name) \(mutation)")
                }
            }
            #expect(try await server.dataSource.get("Post", key: ["id": "q"]) == nil)
            #expect(try await server.dataSource.get("Post", key: ["id": "p"])?["_version"] == 1)
        }
    }

    @Test("a conflict's server copy is only returned to a caller who may read it")
    func conflicts() async throws {
        let schema = """
            type Note @model @auth(rules: [{allow: owner}, {allow: groups, groups: ["Editors"], operations: [update]}]) {
              id: ID!
              text: String!
            }
            """
        let clock = ManualClock(startMillisecondsSince1970: Int64(Self.start.timeIntervalSince1970) * 1000)
        var configuration = ServerConfiguration()
        configuration.clock = clock
        configuration.defaultStrategy = .optimisticConcurrency
        var options = ServerOptions()
        options.tokenIssuers = [try Self.issuer.tokenIssuer]
        try await withTestServer(schema: schema, configuration: configuration, options: options) { server in
            _ = try await server.dataSource.create(
                "Note",
                input: ["id": "n", "text": "secret", "owner": .string(Self.alice.owner!)]
            )
            _ = try await server.dataSource.update("Note", input: ["id": "n", "text": "newer", "_version": 1])
            let editor = Self.user("erin", sub: "e-5", groups: ["Editors"])
            let mutation = #"mutation { updateNote(input: {id: "n", text: "stale", _version: 1}) { id text } }"#
            for (user, seesCopy) in [(Self.alice, true), (editor, false)] {
                let answer = try await Self.request(server, mutation, user.credential)
                let error = answer.body["errors"]?[0]
                #expect(error?["errorType"] == "ConflictUnhandled", "\(user.name)")
                #expect((error?["data"]?["text"] == "newer") == seesCopy, "\(user.name): \(answer.body)")
            }
        }
    }
}

extension AuthRulesTests {
    /// Connects to `server`'s real-time endpoint with `credential` in the upgrade's headers.
    static func withSubscriber<Result>(
        _ server: TestServer,
        _ credential: Credential,
        timeout: Duration = .seconds(60),
        _ body: (RealtimeClient) async throws -> Result
    ) async throws -> Result {
        var headers: HTTPFields = [.secWebSocketProtocol: "graphql-ws"]
        switch credential {
        case .none: break
        case .apiKey(let key): headers[HTTPField.Name("x-api-key")!] = key
        case .token(let token): headers[.authorization] = token
        }
        return try await withRealtimeClient(server.realtimeEndpoint, headers: headers, timeout: timeout, body)
    }

    static func eventID(_ message: FieldValue?, _ field: String) -> String? {
        if case .string(let id)? = message?["payload"]?["data"]?[field]?["id"] { return id }
        return nil
    }

    @Test(
        "subscriptions: each subscriber receives only the events of items it may read; owner arguments must name the caller"
    )
    func subscriptions() async throws {
        try await Self.withAuthServer { server, _ in
            let created = #"subscription { onCreatePost { id owner } }"#
            try await Self.withSubscriber(server, Self.alice.credential) { alice in
                #expect(try await alice.initialize()?["type"] == "connection_ack")
                #expect(try await alice.start("all", created)?["type"] == "start_ack")
                #expect(
                    try await alice.start("mine", #"subscription { onCreatePost(owner: "a-1::alice") { id } }"#)?[
                        "type"
                    ] == "start_ack"
                )
                // Naming someone else is refused, and the connection stays for the others.
                let refused = try await alice.start(
                    "theirs",
                    #"subscription { onCreatePost(owner: "b-2::bob") { id } }"#
                )
                #expect(refused?["type"] == "error")
                #expect(refused?["payload"]?["errors"]?[0]?["errorType"] == "Unauthorized")
                try await Self.withSubscriber(server, Self.key.credential) { key in
                    #expect(try await key.initialize()?["type"] == "connection_ack")
                    #expect(try await key.start("all", created)?["type"] == "start_ack")
                    try await Self.withSubscriber(server, Self.dave.credential) { dave in
                        #expect(try await dave.initialize()?["type"] == "connection_ack")
                        #expect(try await dave.start("all", created)?["type"] == "start_ack")
                        for (id, owner) in [
                            ("s-bob", Self.bob.owner!), ("s-alice", Self.alice.owner!), ("s-dave", Self.dave.owner!),
                        ] {
                            _ = try await server.dataSource.create(
                                "Post",
                                input: ["id": .string(id), "title": "t", "owner": .string(owner)]
                            )
                        }
                        // Public read: every event, in commit order.
                        for expected in ["s-bob", "s-alice", "s-dave"] {
                            #expect(Self.eventID(try await key.nextEvent(), "onCreatePost") == expected)
                        }
                        // The first event dave may read is his own: bob's and alice's never came.
                        #expect(Self.eventID(try await dave.nextEvent(), "onCreatePost") == "s-dave")
                    }
                }
                // Alice's two subscriptions each get her post, and nothing of bob's or dave's.
                var seen: [String] = []
                for _ in 0..<2 {
                    let event = try await alice.nextEvent()
                    seen.append("\(event?["id"] ?? "?") \(Self.eventID(event, "onCreatePost") ?? "?")")
                }
                #expect(seen.sorted() == [#""all" s-alice"#, #""mine" s-alice"#])
                _ = try await server.dataSource.create(
                    "Post",
                    input: ["id": "s-alice-2", "title": "t", "owner": .string(Self.alice.owner!)]
                )
                #expect(Self.eventID(try await alice.nextEvent(), "onCreatePost") == "s-alice-2")
            }
        }
    }

    @Test(
        "subscriptions: relation fields of events are read as the subscriber; a start may carry its own credentials; bad handshakes are refused"
    )
    func subscriptionCredentials() async throws {
        try await Self.withAuthServer { server, _ in
            _ = try await server.dataSource.create(
                "Post",
                input: ["id": "p-bob", "title": "t", "owner": .string(Self.bob.owner!)]
            )
            try await Self.withSubscriber(server, Self.alice.credential) { alice in
                #expect(try await alice.initialize()?["type"] == "connection_ack")
                let query = #"subscription { onCreateComment { id post { id } } }"#
                #expect(try await alice.start("comments", query)?["type"] == "start_ack")
                _ = try await server.dataSource.create(
                    "Comment",
                    input: ["id": "c-alice", "postID": "p-bob", "content": "c", "owner": .string(Self.alice.owner!)]
                )
                let event = try await alice.nextEvent()
                #expect(Self.eventID(event, "onCreateComment") == "c-alice")
                // Bob's post is not alice's to read: the field is null, with the refusal.
                #expect(event?["payload"]?["data"]?["onCreateComment"]?["post"] == .null)
                #expect(event?["payload"]?["errors"]?[0]?["errorType"] == "Unauthorized")
            }
            // A key connection whose start carries bob's token runs as bob: comments are not public.
            try await Self.withSubscriber(server, Self.key.credential) { client in
                #expect(try await client.initialize()?["type"] == "connection_ack")
                let data = FieldValue.object(["query": #"subscription { onCreateComment { id } }"#, "variables": [:]])
                    .jsonText
                guard case .token(let token) = Self.bob.credential else { return }
                client.send([
                    "id": "as-bob", "type": "start",
                    "payload": [
                        "data": .string(data), "extensions": ["authorization": ["Authorization": .string(token)]],
                    ],
                ])
                #expect(try await client.nextEvent()?["type"] == "start_ack")
                #expect(
                    try await client.start("as-key", #"subscription { onCreateComment { id } }"#)?["payload"]?[
                        "errors"
                    ]?[0]?["errorType"] == "Unauthorized"
                )
                _ = try await server.dataSource.create(
                    "Comment",
                    input: ["id": "c-bob", "postID": "p-bob", "content": "c", "owner": .string(Self.bob.owner!)]
                )
                let event = try await client.nextEvent()
                #expect(event?["id"] == "as-bob")
                #expect(Self.eventID(event, "onCreateComment") == "c-bob")
            }
            for (name, credential) in Self.refusedCredentials {
                try await Self.withSubscriber(server, credential) { client in
                    let answer = try await client.initialize()
                    #expect(answer?["type"] == "connection_error", "\(name)")
                    #expect(answer?["payload"]?["errors"]?[0]?["errorType"] == "UnauthorizedException", "\(name)")
                }
            }
        }
    }
}

extension AuthRulesTests {
    @Test(
        "field-level rules: a field only its owner may read is null for the admin group, and a null sent back keeps it"
    )
    func fieldRules() async throws {
        // The corpus's Employee (amplify-codegen field-level-auth-employee.graphql).
        let schema = """
            type Employee @model @auth(rules: [{ allow: owner }, { allow: groups, groups: ["Admins"] }]) {
              id: ID!
              name: String!
              address: String!
              ssn: String @auth(rules: [{ allow: owner }])
            }
            """
        let clock = ManualClock(startMillisecondsSince1970: Int64(Self.start.timeIntervalSince1970) * 1000)
        var configuration = ServerConfiguration()
        configuration.clock = clock
        var options = ServerOptions()
        options.tokenIssuers = [try Self.issuer.tokenIssuer]
        let admin = Self.user("ada", sub: "a-9", groups: ["Admins"])
        try await withTestServer(schema: schema, configuration: configuration, options: options) { server in
            let create =
                #"mutation { createEmployee(input: {id: "e", name: "Alice", address: "here", ssn: "123"}) { id ssn owner } }"#
            let created = try await Self.request(server, create, Self.alice.credential)
            #expect(created.body["data"]?["createEmployee"]?["ssn"] == "123", "\(created.body)")
            let read =
                #"{ getEmployee(id: "e") { name ssn } listEmployees { items { ssn } } syncEmployees { items { ssn } } }"#
            let asOwner = try await Self.request(server, read, Self.alice.credential).body["data"]
            #expect(asOwner?["getEmployee"]?["ssn"] == "123")
            #expect(asOwner?["syncEmployees"]?["items"]?[0]?["ssn"] == "123")
            let asAdmin = try await Self.request(server, read, admin.credential).body["data"]
            #expect(asAdmin?["getEmployee"] == ["name": "Alice", "ssn": .null])
            #expect(asAdmin?["listEmployees"]?["items"]?[0]?["ssn"] == .null)
            #expect(asAdmin?["syncEmployees"]?["items"]?[0]?["ssn"] == .null)
            // The admin sends its whole (redacted) copy back: the name changes, the ssn stays.
            let update =
                #"mutation { updateEmployee(input: {id: "e", name: "Alice B", address: "here", ssn: null, _version: 1}) { name } }"#
            #expect(
                try await Self.request(server, update, admin.credential).body["data"]?["updateEmployee"]?["name"]
                    == "Alice B"
            )
            #expect(try await server.dataSource.get("Employee", key: ["id": "e"])?["ssn"] == "123")
            // Writing it is the owner's alone.
            let overwrite = #"mutation { updateEmployee(input: {id: "e", ssn: "999", _version: 2}) { name } }"#
            let refused = try await Self.request(server, overwrite, admin.credential)
            #expect(refused.body["errors"]?[0]?["errorType"] == "Unauthorized", "\(refused.body)")
            #expect(try await server.dataSource.get("Employee", key: ["id": "e"])?["_version"] == 2)
            let own = #"mutation { updateEmployee(input: {id: "e", ssn: "456", _version: 2}) { ssn } }"#
            #expect(
                try await Self.request(server, own, Self.alice.credential).body["data"]?["updateEmployee"]?["ssn"]
                    == "456"
            )
            // Subscribers see events as they may read them.
            try await Self.withSubscriber(server, admin.credential) { client in
                #expect(try await client.initialize()?["type"] == "connection_ack")
                #expect(
                    try await client.start("e", "subscription { onUpdateEmployee { name ssn } }")?["type"]
                        == "start_ack"
                )
                let touch = #"mutation { updateEmployee(input: {id: "e", address: "there", _version: 3}) { id } }"#
                _ = try await Self.request(server, touch, Self.alice.credential)
                #expect(
                    try await client.nextEvent()?["payload"]?["data"]?["onUpdateEmployee"] == [
                        "name": "Alice B", "ssn": .null,
                    ]
                )
            }
        }
    }

    @Test("command-line forms of API keys and token issuers")
    func commandLine() throws {
        #expect(try APIKey(commandLine: "da2-a") == APIKey("da2-a"))
        #expect(
            try APIKey(commandLine: "da2-a@2027-01-31")
                == APIKey("da2-a", expires: Date(timeIntervalSince1970: 1_801_353_600))
        )
        #expect(
            try APIKey(commandLine: "da2-a@2027-01-31T12:00:00Z")
                == APIKey("da2-a", expires: Date(timeIntervalSince1970: 1_801_396_800))
        )
        for bad in ["", "@2027-01-31", "da2-a@tomorrow"] {
            #expect(throws: AuthConfigurationError.self, "\(bad)") { try APIKey(commandLine: bad) }
        }
        let files: [String: [UInt8]] = [
            "jwks.json": Array(#"{"keys": []}"#.utf8), "secret": Array("0123456789abcdef0123\n".utf8),
        ]
        func read(_ path: String) throws -> [UInt8] {
            guard let bytes = files[path] else { throw CocoaError(.fileNoSuchFile) }
            return bytes
        }
        let pool = try TokenIssuer(
            commandLine: "iss=https://pool.test,jwks=jwks.json,aud=a,aud=b,provider=oidc,skew=30",
            readFile: read
        )
        #expect(pool.issuer == "https://pool.test")
        #expect(pool.audiences == ["a", "b"])
        #expect(pool.provider == .oidc)
        #expect(pool.clockSkew == .seconds(30))
        let shared = try TokenIssuer(commandLine: "secret-file=secret", readFile: read)
        guard case .sharedSecret(let secret) = shared.keys else {
            Issue.record("not a shared secret")
            return
        }
        // The file's trailing newline is not part of the secret.
        #expect(secret == Array("0123456789abcdef0123".utf8))
        for bad in [
            "jwks=jwks.json", "iss=x", "iss=x,jwks=missing.json", "iss=x,jwks=jwks.json,provider=iam", "iss",
            "iss=x,colour=red,jwks=jwks.json",
        ] {
            #expect(throws: AuthConfigurationError.self, "\(bad)") { try TokenIssuer(commandLine: bad, readFile: read) }
        }
    }
}

extension AuthRulesTests {
    @Test("a custom conflict handler learns who wrote, as AppSync's identity")
    func conflictIdentity() async throws {
        let seen = Locked<FieldValue?>(nil)
        let clock = ManualClock(startMillisecondsSince1970: Int64(Self.start.timeIntervalSince1970) * 1000)
        var configuration = ServerConfiguration()
        configuration.clock = clock
        configuration.defaultStrategy = .custom { request in
            seen.withLock { $0 = request.identity }
            return .reject
        }
        var options = ServerOptions()
        options.tokenIssuers = [try Self.issuer.tokenIssuer]
        try await withTestServer(schema: Self.schema, configuration: configuration, options: options) { server in
            _ = try await server.dataSource.create(
                "Post",
                input: ["id": "p", "title": "t", "owner": .string(Self.alice.owner!)]
            )
            _ = try await server.dataSource.update("Post", input: ["id": "p", "title": "u", "_version": 1])
            let stale = #"mutation { updatePost(input: {id: "p", title: "v", _version: 1}) { id } }"#
            _ = try await Self.request(server, stale, Self.alice.credential)
            let identity = seen.withLock { $0 }
            #expect(identity?["sub"] == "a-1")
            #expect(identity?["username"] == "alice")
            #expect(identity?["issuer"] == .string(Self.issuer.issuer))
            #expect(identity?["claims"]?["aud"] == .string(Self.issuer.audience))
        }
    }
}

extension AuthRulesTests {
    @Test(
        "a connection ends when the token it was opened with expires; a subscription started with its own token gets no event after it expires"
    )
    func expiringTokens() async throws {
        try await Self.withAuthServer { server, clock in
            let short = try Self.issuer.token(sub: "a-1", username: "alice", now: Self.start, expiresIn: 60)
            try await Self.withSubscriber(server, .token(short)) { client in
                #expect(try await client.initialize()?["type"] == "connection_ack")
                #expect(try await client.start("posts", "subscription { onCreatePost { id } }")?["type"] == "start_ack")
                clock.advance(by: .seconds(60))
                let ended = try await client.nextEvent()
                #expect(ended?["type"] == "error")
                #expect(ended?["id"] == nil)
                #expect(ended?["payload"]?["errors"]?[0]?["errorType"] == "UnauthorizedException")
                _ = await client.closed()
            }
            let bobShort = try Self.issuer.token(sub: "b-2", username: "bob", now: Self.start, expiresIn: 180)
            try await Self.withSubscriber(server, Self.key.credential) { client in
                #expect(try await client.initialize()?["type"] == "connection_ack")
                let data = FieldValue.object(["query": "subscription { onCreatePost { id } }", "variables": [:]])
                    .jsonText
                client.send([
                    "id": "as-bob", "type": "start",
                    "payload": [
                        "data": .string(data), "extensions": ["authorization": ["Authorization": .string(bobShort)]],
                    ],
                ])
                #expect(try await client.nextEvent()?["type"] == "start_ack")
                _ = try await server.dataSource.create(
                    "Post",
                    input: ["id": "e1", "title": "t", "owner": .string(Self.bob.owner!)]
                )
                #expect(Self.eventID(try await client.nextEvent(), "onCreatePost") == "e1")
                clock.advance(by: .seconds(120))
                _ = try await server.dataSource.create(
                    "Post",
                    input: ["id": "e2", "title": "t", "owner": .string(Self.bob.owner!)]
                )
                let ended = try await client.nextEvent()
                #expect(ended?["type"] == "error")
                #expect(ended?["id"] == "as-bob")
                #expect(ended?["payload"]?["errors"]?[0]?["errorType"] == "UnauthorizedException")
                // The subscription is gone; the connection (opened with the key) stays.
                _ = try await server.dataSource.create(
                    "Post",
                    input: ["id": "e3", "title": "t", "owner": .string(Self.bob.owner!)]
                )
                #expect(try await client.start("again", "subscription { onCreatePost { id } }")?["type"] == "start_ack")
                #expect(await server.application.realtimeStatistics().subscriptions == 1)
            }
        }
    }
}

extension AuthRulesTests {
    @Test("private rules: any signed-in user reads and writes every item; the API key is refused")
    func privateRule() async throws {
        let schema = "type Memo @model @auth(rules: [{allow: private}]) { id: ID!, text: String! }"
        let clock = ManualClock(startMillisecondsSince1970: Int64(Self.start.timeIntervalSince1970) * 1000)
        var configuration = ServerConfiguration()
        configuration.clock = clock
        var options = ServerOptions()
        options.tokenIssuers = [try Self.issuer.tokenIssuer]
        try await withTestServer(schema: schema, configuration: configuration, options: options) { server in
            let key = Credential.apiKey(server.apiKey)
            let steps: [(Credential, String, String, String)] = [
                (
                    Self.alice.credential, #"mutation { createMemo(input: {id: "m", text: "a"}) { id } }"#,
                    "createMemo", "ok"
                ),
                (Self.bob.credential, #"{ getMemo(id: "m") { id } }"#, "getMemo", "ok"),
                (
                    Self.bob.credential, #"mutation { updateMemo(input: {id: "m", text: "b", _version: 1}) { id } }"#,
                    "updateMemo", "ok"
                ),
                (key, #"{ getMemo(id: "m") { id } }"#, "getMemo", "refused"),
                (key, #"{ syncMemos { items { id } } }"#, "syncMemos", "refused"),
                (key, #"mutation { createMemo(input: {id: "k", text: "k"}) { id } }"#, "createMemo", "refused"),
                (Self.dave.credential, #"{ syncMemos { items { id } } }"#, "syncMemos", "m"),
                (
                    Self.dave.credential, #"mutation { deleteMemo(input: {id: "m", _version: 2}) { id } }"#,
                    "deleteMemo", "ok"
                ),
            ]
            for (credential, query, root, expected) in steps {
                let answer = try await Self.request(server, query, credential)
                #expect(
                    Self.outcome(answer, root: root, ids: Self.itemIDs) == expected,
                    "\(credential) \(query): \(answer.body)"
                )
            }
        }
    }
}
