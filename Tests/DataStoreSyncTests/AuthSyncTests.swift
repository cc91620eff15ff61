import AsyncHTTPClient
import AuthModels
import DataStore
import DataStoreAppSync
import DataStoreServer
import DataStoreServerTesting
import DataStoreTesting
import Foundation
import Testing

@testable import DataStoreSync

/// The auth models' schema (owners' notes, public notices).
let authSchema: String = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "AuthModels/schema.graphql")
    return try! String(contentsOf: url, encoding: .utf8)
}()

/// Synced stores of signed-in users against a real server enforcing `@auth` rules: each syncs
/// exactly what its user may read, through the credentials each model's rules call for.
@Suite("Auth: synced stores", .timeLimit(.minutes(3)))
struct AuthSyncTests {
    static let issuer = try! TestTokenIssuer(algorithm: .hs256)

    static func token(_ sub: String, _ name: String, groups: [String] = [], expiresIn: TimeInterval = 3600) -> String {
        try! issuer.token(sub: sub, username: name, groups: groups, expiresIn: expiresIn)
    }

    static func withAuthServer(_ body: @Sendable (TestServer) async throws -> Void) async throws {
        var options = ServerOptions()
        options.tokenIssuers = [try issuer.tokenIssuer]
        try await withTestServer(schema: authSchema, options: options) { server in try await body(server) }
    }

    /// A started store of the auth models on a fresh file, syncing with `server` as
    /// `authorization` says (subscriptions included); closed after `body`.
    static func withUser<T>(
        _ server: TestServer,
        _ authorization: SyncAuthorization,
        configuration: SyncConfiguration = SyncConfiguration(),
        start: Bool = true,
        _ body: (SyncedStore) async throws -> T
    ) async throws -> T {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let synced = try await SyncedStore(
            models: AuthModels.AppModels.self,
            storage: .file(at: directory.file()),
            endpoint: URL(string: server.endpoint)!,
            authorization: authorization,
            configuration: configuration
        )
        return try await closing(synced) { synced in
            if start {
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                await next(&events) { $0 == .ready }
            }
            return try await body(synced)
        }
    }

    /// A member of an object value.
    static func member(_ value: FieldValue?, _ name: String) -> FieldValue? {
        if case .object(let members)? = value { members[name] } else { nil }
    }

    /// Waits until the store's `M`s, by id, are `ids`.
    static func waitFor<M: Model>(
        _ synced: SyncedStore,
        _ type: M.Type,
        ids: Set<String>,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        var snapshots = synced.store.observeQuery(type).makeAsyncIterator()
        while let snapshot = try await snapshots.next() {
            let found = snapshot.items.map { item -> String in
                if case .string(let id)? = item.fieldValues.first { id } else { "?" }
            }
            if Set(found) == ids { return }
        }
        Issue.record(
            "the snapshots ended before \(M.schema.name)s were \(ids.sorted())",
            sourceLocation: sourceLocation
        )
    }

    @Test(
        "two users see their own notes and the public notices; an admin sees every note; a new user's base sync agrees"
    )
    func users() async throws {
        try await Self.withAuthServer { server in
            let (alice, bob, carol) = (
                Self.token("a-1", "alice"), Self.token("b-2", "bob"), Self.token("c-3", "carol", groups: ["Admin"])
            )
            try await Self.withUser(server, .multiAuth(apiKey: server.apiKey, userPools: { carol })) { admin in
                try await Self.withUser(server, .multiAuth(apiKey: server.apiKey, userPools: { alice })) { a in
                    try await Self.withUser(server, .multiAuth(apiKey: server.apiKey, userPools: { bob })) { b in
                        // An admin writes a notice (only admins may); each user writes a note.
                        _ = try await admin.store.save(Notice(id: "n1", text: "welcome"))
                        _ = try await a.store.save(Note(id: "a1", text: "alice's"))
                        _ = try await b.store.save(Note(id: "b1", text: "bob's"))
                        for store in [admin, a, b] { try await emptied(store) }
                        // The server filled the owners with each writer's identity.
                        #expect(
                            Self.member(try await server.dataSource.get("Note", key: ["id": "a1"]), "owner")
                                == "a-1::alice"
                        )
                        #expect(
                            Self.member(try await server.dataSource.get("Note", key: ["id": "b1"]), "owner")
                                == "b-2::bob"
                        )
                        // Live: each store holds what its user may read, and the owner came back.
                        try await Self.waitFor(a, Note.self, ids: ["a1"])
                        try await Self.waitFor(a, Notice.self, ids: ["n1"])
                        try await Self.waitFor(b, Note.self, ids: ["b1"])
                        try await Self.waitFor(b, Notice.self, ids: ["n1"])
                        try await Self.waitFor(admin, Note.self, ids: ["a1", "b1"])
                        #expect(try await a.store.query(Note.self, byID: "a1")?.owner == "a-1::alice")
                        // Alice's later edit reaches the admin, never bob.
                        var note = try #require(try await a.store.query(Note.self, byID: "a1"))
                        note.text = "alice's, edited"
                        _ = try await a.store.save(note)
                        try await emptied(a)
                        var edited = admin.store.observeQuery(Note.self, where: \.text == "alice's, edited")
                            .makeAsyncIterator()
                        while let snapshot = try await edited.next(), snapshot.items.isEmpty {}
                        #expect(try await b.store.query(Note.self).map(\.id) == ["b1"])
                    }
                }
            }
            // A new device of alice's: its base sync holds the same.
            let (notes, notices) = try await Self.withUser(
                server,
                .multiAuth(apiKey: server.apiKey, userPools: { alice })
            ) { a in
                (try await a.store.query(Note.self).map(\.id), try await a.store.query(Notice.self).map(\.id))
            }
            #expect(notes == ["a1"])
            #expect(notices == ["n1"])
        }
    }

    @Test("signed out, the API key reads the public notices; the notes are refused, and reported")
    func signedOut() async throws {
        try await Self.withAuthServer { server in
            _ = try await server.dataSource.create("Notice", input: ["id": "n1", "text": "welcome"])
            _ = try await server.dataSource.create("Note", input: ["id": "a1", "text": "t", "owner": "a-1::alice"])
            let reported = Locked<[SyncError]>([])
            var configuration = SyncConfiguration()
            configuration.errorHandler = { error in reported.withLock { $0.append(error) } }
            // A token provider that throws: nobody is signed in.
            let authorization = SyncAuthorization.multiAuth(
                apiKey: server.apiKey,
                userPools: { throw CancellationError() }
            )
            try await Self.withUser(server, authorization, configuration: configuration) { synced in
                try await Self.waitFor(synced, Notice.self, ids: ["n1"])
                #expect(try await synced.store.query(Note.self).isEmpty)
                #expect(reported.withLock { $0 }.contains { $0.modelName == "Note" }, "\(reported.withLock { $0 })")
            }
        }
    }

    @Test("a write the rules refuse is not retried: it is a dead letter, the server unchanged, and the outbox goes on")
    func refusedWrite() async throws {
        try await Self.withAuthServer { server in
            _ = try await server.dataSource.create("Notice", input: ["id": "n1", "text": "welcome"])
            let alice = Self.token("a-1", "alice")
            try await Self.withUser(server, .multiAuth(apiKey: server.apiKey, userPools: { alice })) { a in
                try await Self.waitFor(a, Notice.self, ids: ["n1"])
                var notice = try #require(try await a.store.query(Notice.self, byID: "n1"))
                notice.text = "vandalized"
                _ = try await a.store.save(notice)
                _ = try await a.store.save(Note(id: "a1", text: "mine"))
                try await emptied(a)
                let letters = try await a.deadLetters()
                #expect(letters.map(\.entry.modelName) == ["Notice"])
                #expect(Self.member(try await server.dataSource.get("Notice", key: ["id": "n1"]), "text") == "welcome")
                #expect(
                    Self.member(try await server.dataSource.get("Note", key: ["id": "a1"]), "owner") == "a-1::alice"
                )
            }
        }
    }

    @Test("a token that expires mid-drain pauses the outbox; after a refresh every write is sent exactly once")
    func expiringToken() async throws {
        try await Self.withAuthServer { server in
            // The provider hands out a valid token for the first few requests, then an expired
            // one until the test signs the user in again.
            let state = Locked((calls: 0, refreshed: false))
            let valid = Self.token("a-1", "alice")
            let expired = Self.token("a-1", "alice", expiresIn: -60)
            let provider: SyncAuthorization.TokenProvider = {
                state.withLock { state in
                    state.calls += 1
                    return state.refreshed || state.calls <= 4 ? valid : expired
                }
            }
            // Test stream: a handful of reports at most.
            let (reports, reporter) = AsyncStream.makeStream(of: SyncError.self, bufferingPolicy: .unbounded)
            var configuration = SyncConfiguration()
            configuration.subscribesToChanges = false
            configuration.mutationsInFlight = 1
            configuration.errorHandler = { error in reporter.yield(error) }
            try await Self.withUser(server, .token(provider), configuration: configuration, start: false) { synced in
                for index in 0..<10 { _ = try await synced.store.save(Note(id: "n\(index)", text: "note \(index)")) }
                await synced.start()
                // Paused: the backend refused the expired token (asked for again once, in vain).
                for await report in reports where report.kind == .unauthorized { break }
                let pending = try await synced.pendingMutationCount()
                #expect(pending > 0 && pending < 10, "\(pending) waiting")
                #expect(try await synced.deadLetters().isEmpty)
                // Signed in again: the app says so, and the rest goes.
                state.withLock { $0.refreshed = true }
                await synced.credentialsChanged()
                try await emptied(synced)
            }
            let notes = try await server.dataSource.list("Note").items
            #expect(notes.count == 10)
            #expect(
                notes.allSatisfy { Self.member($0, "_version") == 1 && Self.member($0, "owner") == "a-1::alice" },
                "\(notes)"
            )
        }
    }
}

extension AuthSyncTests {
    @Test(
        "when the backend ends the connection because its token expired, the store reconnects with a fresh token and misses nothing"
    )
    func reconnectsWithFreshToken() async throws {
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        let clock = ManualClock(startMillisecondsSince1970: 1_790_000_000_000)
        var serverConfiguration = ServerConfiguration()
        serverConfiguration.clock = clock
        var options = ServerOptions()
        options.tokenIssuers = [try Self.issuer.tokenIssuer]
        try await withTestServer(schema: authSchema, configuration: serverConfiguration, options: options) { server in
            // The first token lasts a minute of the server's time; the ones after, a day.
            let handedOut = Locked(0)
            let provider: SyncAuthorization.TokenProvider = {
                let number = handedOut.withLock {
                    $0 += 1
                    return $0
                }
                return try Self.issuer.token(
                    sub: "a-1",
                    username: "alice",
                    now: start,
                    expiresIn: number == 1 ? 60 : 86_400
                )
            }
            try await Self.withUser(server, .token(provider)) { synced in
                var events = synced.events.makeAsyncIterator()
                clock.advance(by: .seconds(61))
                // The backend closes the socket; the store connects again, and syncs.
                await next(&events) { if case .subscriptionsEstablished = $0 { true } else { false } }
                _ = try await server.dataSource.create(
                    "Note",
                    input: ["id": "later", "text": "t", "owner": "a-1::alice"]
                )
                try await Self.waitFor(synced, Note.self, ids: ["later"])
                #expect(handedOut.withLock { $0 } > 1)
            }
        }
    }
}

extension AuthSyncTests {
    @Test("a token refused with 401 is asked for again once: a fresh one sends the request again, the same one fails")
    func refreshAfterRefusal() async throws {
        try await Self.withAuthServer { server in
            try await withSyncClient { client in
                let calls = Locked(0)
                let stale = Self.token("a-1", "alice", expiresIn: -60)
                let fresh = Self.token("a-1", "alice")
                let create = OperationRequest(
                    query: #"mutation { createNote(input: {id: "n", text: "t"}) { id owner } }"#
                )
                // The cached token had expired; asked again, the provider refreshes it.
                let refreshing = AppSyncHTTPTransport(
                    endpoint: URL(string: server.endpoint)!,
                    authorization: .token {
                        calls.withLock {
                            $0 += 1
                            return $0 == 1 ? stale : fresh
                        }
                    },
                    client: client
                )
                let response = try await refreshing.send(create)
                #expect(response.errors.isEmpty, "\(response)")
                #expect(calls.withLock { $0 } == 2)
                // A provider with nothing newer: the 401 stands, after one more question.
                calls.withLock { $0 = 0 }
                let stuck = AppSyncHTTPTransport(
                    endpoint: URL(string: server.endpoint)!,
                    authorization: .token {
                        calls.withLock { $0 += 1 }
                        return stale
                    },
                    client: client
                )
                do throws(SendFailure) {
                    _ = try await stuck.send(create)
                    Issue.record("an expired token was accepted")
                } catch {
                    guard case .status(401, _, _) = error else {
                        Issue.record("\(error)")
                        return
                    }
                }
                #expect(calls.withLock { $0 } == 2)
            }
        }
    }
}
