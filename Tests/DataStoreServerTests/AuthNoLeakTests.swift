import DataStore
import DataStoreAppSync
import DataStoreServer
import DataStoreServerTesting
import DataStoreTesting
import Foundation
import HTTPTypes
import Testing

/// Randomized: users with random groups write random items (owners, editor lists, team lists)
/// through random servers; each write is accepted or refused as an independent oracle of the
/// rules says, and in the end every user's sync (base and delta) and subscription streams hold
/// exactly the versions that user may read — on SQLite, and on two servers sharing PostgreSQL.
@Suite("Auth: nothing leaks", .timeLimit(.minutes(3)))
struct AuthNoLeakTests {
    static let schema = """
        type Post @model @auth(rules: [
          {allow: owner},
          {allow: owner, ownerField: "editors", operations: [read, update]},
          {allow: groups, groups: ["Admin"]},
          {allow: groups, groupsField: "teams", operations: [read]}
        ]) {
          id: ID!
          title: String!
          editors: [String]
          teams: [String]
        }
        """
    static let teams = ["team-a", "team-b", "team-c"]
    static let selection = "id title owner editors teams _version _deleted"

    /// A user: its owner value and groups.
    struct User: Sendable {
        let name: String
        let owner: String
        let groups: [String]
        let token: String
        var isAdmin: Bool { groups.contains("Admin") }
    }

    /// The rules, written again without the server's code: who may read an item's version.
    static func mayRead(_ user: User, _ item: FieldValue) -> Bool {
        user.isAdmin || item["owner"] == .string(user.owner) || strings(item["editors"]).contains(user.owner)
            || !Set(strings(item["teams"])).isDisjoint(with: user.groups)
    }

    static func strings(_ value: FieldValue?) -> [String] {
        guard case .list(let items)? = value else { return [] }
        return items.compactMap { if case .string(let text) = $0 { text } else { nil } }
    }

    @Test("SQLite: one server")
    func sqlite() async throws {
        let seed = SeededRandom.seed(named: "auth-no-leak")
        print("auth no-leak on SQLite seed \(seed) (replay with DATASTORE_TEST_SEED=\(seed))")
        let clock = ManualClock(startMillisecondsSince1970: Int64(AuthRulesTests.start.timeIntervalSince1970) * 1000)
        try await withTestServer(
            schema: Self.schema,
            configuration: Self.configuration(clock),
            options: try Self.options()
        ) {
            server in
            try await Self.run(seed: seed, servers: [server], clock: clock)
        }
    }

    @Test("PostgreSQL: two servers sharing one database", .enabled(if: ServerStoreKind.postgresURL != nil))
    func postgres() async throws {
        let seed = SeededRandom.seed(named: "auth-no-leak-postgres")
        print("auth no-leak on PostgreSQL seed \(seed) (replay with DATASTORE_TEST_SEED=\(seed))")
        let clock = ManualClock(startMillisecondsSince1970: Int64(AuthRulesTests.start.timeIntervalSince1970) * 1000)
        let schemaName = "noleak_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await withPostgresStore(schema: schemaName) { storeA in
            try await withPostgresStore(schema: schemaName) { storeB in
                try await withTestServer(
                    schema: Self.schema,
                    configuration: Self.configuration(clock),
                    options: try Self.options(),
                    store: storeA
                ) {
                    serverA in
                    try await withTestServer(
                        schema: Self.schema,
                        configuration: Self.configuration(clock),
                        options: try Self.options(),
                        store: storeB
                    ) {
                        serverB in
                        try await Self.run(seed: seed, servers: [serverA, serverB], clock: clock)
                    }
                }
                try await storeB.dropSchema()
            }
        }
    }

    static func configuration(_ clock: ManualClock) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.clock = clock
        return configuration
    }

    static func options() throws -> ServerOptions {
        var options = ServerOptions()
        options.tokenIssuers = [try AuthRulesTests.issuer.tokenIssuer]
        return options
    }

    static func makeUsers(_ random: inout SeededRandom) throws -> [User] {
        try (0..<6).map { index in
            var groups = teams.filter { _ in random.chance(0.4) }
            if groups.isEmpty { groups = [random.pick(teams)] }
            if index == 0 { groups.append("Admin") }
            let name = "user\(index)"
            let sub = "s-\(index)"
            let token = try AuthRulesTests.issuer.token(
                sub: sub,
                username: name,
                groups: groups,
                now: AuthRulesTests.start
            )
            return User(name: name, owner: "\(sub)::\(name)", groups: groups, token: token)
        }
    }

    static func run(seed: UInt64, servers: [TestServer], clock: ManualClock) async throws {
        var random = SeededRandom(seed: seed)
        let users = try makeUsers(&random)
        let start = clock.millisecondsSince1970
        try await withSubscribers(users, servers, [:]) { clients in
            var state: [String: FieldValue] = [:]
            var next = 0
            for step in 0..<120 {
                let user = random.pick(users)
                let server = random.pick(servers)
                let live = state.filter { $0.value["_deleted"] != .bool(true) }.keys.sorted()
                let roll = Double.random(in: 0..<1, using: &random)
                let mutation: String
                let expected: Bool
                let id: String
                if roll < 0.35 || live.isEmpty {
                    id = "p\(next)"
                    next += 1
                    var input: [String: FieldValue] = ["id": .string(id), "title": .string("t\(step)")]
                    if random.chance(0.25) { input["owner"] = .string(random.pick(users).owner) }
                    if random.chance(0.5) {
                        input["editors"] = .list(users.filter { _ in random.chance(0.3) }.map { .string($0.owner) })
                    }
                    if random.chance(0.5) {
                        input["teams"] = .list(teams.filter { _ in random.chance(0.4) }.map { .string($0) })
                    }
                    expected = user.isAdmin || input["owner"] == nil || input["owner"] == .string(user.owner)
                    mutation = "createPost(input: \(graphQL(.object(input))))"
                } else if roll < 0.85 {
                    id = random.pick(live)
                    let current = state[id]!
                    var input: [String: FieldValue] = [
                        "id": .string(id), "title": .string("t\(step)"), "_version": current["_version"]!,
                    ]
                    if random.chance(0.3) {
                        input["editors"] = .list(users.filter { _ in random.chance(0.3) }.map { .string($0.owner) })
                    }
                    if random.chance(0.3) {
                        input["teams"] = .list(teams.filter { _ in random.chance(0.4) }.map { .string($0) })
                    }
                    if random.chance(0.15) { input["owner"] = .string(random.pick(users).owner) }
                    let reaches =
                        current["owner"] == .string(user.owner) || strings(current["editors"]).contains(user.owner)
                    let changesOwner = input["owner"] != nil && input["owner"] != current["owner"]
                    expected = user.isAdmin || (reaches && !changesOwner)
                    mutation = "updatePost(input: \(graphQL(.object(input))))"
                } else {
                    id = random.pick(live)
                    let current = state[id]!
                    expected = user.isAdmin || current["owner"] == .string(user.owner)
                    mutation = #"deletePost(input: {id: "\#(id)", _version: \#(current["_version"]!.jsonText)})"#
                }
                let answer = try await AuthRulesTests.request(
                    server,
                    "mutation { \(mutation) { \(selection) } }",
                    .token(user.token)
                )
                let root = mutation.prefix { $0 != "(" }
                let written = answer.body["data"]?[String(root)]
                let accepted = written != nil && written != .null
                #expect(
                    accepted == expected,
                    "step \(step): \(user.name) \(user.groups) \(mutation) over \(state[id]?.jsonText ?? "nothing") → \(answer.body)"
                )
                if accepted, let written { state[id] = written }
                if !accepted {
                    #expect(answer.body["errors"]?[0]?["errorType"] == "Unauthorized", "step \(step): \(answer.body)")
                }
                clock.advance(by: .milliseconds(5))
            }
            // The sentinel: a post every user may read, created, updated and deleted last.
            let admin = users[0]
            let everyone = FieldValue.list(teams.map { .string($0) })
            for mutation in [
                #"createPost(input: {id: "zz", title: "end", teams: \#(everyone.jsonText)})"#,
                #"updatePost(input: {id: "zz", title: "end", _version: 1})"#,
                #"deletePost(input: {id: "zz", _version: 2})"#,
            ] {
                let answer = try await AuthRulesTests.request(
                    servers[0],
                    "mutation { \(mutation) { id } }",
                    .token(admin.token)
                )
                #expect(answer.body["errors"] == nil, "\(answer.body)")
            }

            // Every version written, as the server itself reads the delta log.
            var history: [FieldValue] = []
            var token: String?
            repeat {
                let page = try await servers[0].dataSource.sync("Post", limit: 1000, nextToken: token, lastSync: start)
                history += page.items
                token = page.nextToken
            } while token != nil
            history = history.filter { $0["id"] != "zz" }
            let final = Dictionary(history.map { ($0["id"]!.jsonText, $0) }, uniquingKeysWith: { $1 })

            for (user, client) in zip(users, clients) {
                // Base sync: the latest version of every item the user may read, tombstones too.
                let base = try await syncAll(servers[1 % servers.count], user, lastSync: nil)
                let expectedBase = final.values.filter { mayRead(user, $0) }.map(version).sorted()
                #expect(base.filter { !$0.hasPrefix("\"zz\"") }.sorted() == expectedBase, "\(user.name) base")
                // Delta sync: every version the user may read.
                let delta = try await syncAll(servers[0], user, lastSync: start)
                #expect(
                    delta.filter { !$0.hasPrefix("\"zz\"") }.sorted()
                        == history.filter { mayRead(user, $0) }.map(version).sorted(),
                    "\(user.name) delta"
                )
                // Subscriptions: the same versions, each on the subscription of its kind.
                var received: [String] = []
                while let message = try await client.nextEvent() {
                    guard message["type"] == "data", case .string(let subscription)? = message["id"] else {
                        Issue.record("\(user.name): \(message)")
                        break
                    }
                    let item = message["payload"]?["data"]?[subscription] ?? .null
                    if item["id"] == "zz" {
                        if subscription == "onDeletePost" { break }
                        continue
                    }
                    received.append(subscription + " " + version(item))
                }
                let expectedEvents = history.filter { mayRead(user, $0) }.map { item in
                    let kind =
                        item["_deleted"] == .bool(true)
                        ? "onDeletePost" : item["_version"] == 1 ? "onCreatePost" : "onUpdatePost"
                    return kind + " " + version(item)
                }
                #expect(received.sorted() == expectedEvents.sorted(), "\(user.name) events")
            }
        }
    }

    /// An item's id and version, as text.
    static func version(_ item: FieldValue) -> String {
        "\(item["id"]?.jsonText ?? "?")@\(item["_version"]?.jsonText ?? "?")"
    }

    /// Every page of `syncPosts` as `user`.
    static func syncAll(_ server: TestServer, _ user: User, lastSync: Int64?) async throws -> [String] {
        var versions: [String] = []
        var token: FieldValue = .null
        repeat {
            let arguments = "limit: 7, nextToken: \(token.jsonText)" + (lastSync.map { ", lastSync: \($0)" } ?? "")
            let answer = try await AuthRulesTests.request(
                server,
                "{ syncPosts(\(arguments)) { items { id _version } nextToken } }",
                .token(user.token)
            )
            let page = answer.body["data"]?["syncPosts"]
            guard case .list(let items)? = page?["items"] else {
                Issue.record("\(user.name): \(answer.body)")
                return versions
            }
            versions += items.map(version)
            token = page?["nextToken"] ?? .null
        } while token != .null
        return versions
    }

    /// `value` as a GraphQL input literal.
    static func graphQL(_ value: FieldValue) -> String {
        switch value {
        case .object(let members):
            "{" + members.sorted { $0.key < $1.key }.map { "\($0.key): \(graphQL($0.value))" }.joined(separator: ", ")
                + "}"
        case .list(let items): "[" + items.map(graphQL).joined(separator: ", ") + "]"
        default: value.jsonText
        }
    }

    /// Connects every user (user `i` to server `i % count`) and starts its three subscriptions.
    static func withSubscribers(
        _ users: [User],
        _ servers: [TestServer],
        _ open: [Int: RealtimeClient],
        _ body: ([RealtimeClient]) async throws -> Void
    ) async throws {
        guard open.count < users.count else {
            try await body((0..<users.count).map { open[$0]! })
            return
        }
        let index = open.count
        // Open for the whole run: under ThreadSanitizer that is longer than a minute.
        try await AuthRulesTests.withSubscriber(
            servers[index % servers.count],
            .token(users[index].token),
            timeout: .seconds(600)
        ) { client in
            #expect(try await client.initialize()?["type"] == "connection_ack")
            for field in ["onCreatePost", "onUpdatePost", "onDeletePost"] {
                let answer = try await client.start(field, "subscription { \(field) { \(selection) } }")
                #expect(answer?["type"] == "start_ack", "\(answer ?? .null)")
            }
            var opened = open
            opened[index] = client
            try await withSubscribers(users, servers, opened, body)
        }
    }
}
