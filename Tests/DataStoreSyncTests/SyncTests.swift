import AsyncHTTPClient
import BlogModels
import DataStore
import DataStoreAppSync
import DataStoreServer
import DataStoreServerTesting
import DataStoreTesting
import Foundation
import Testing

@testable import DataStoreSync

/// A synced store against a real datastore-server in the test process, over HTTP.
@Suite("Sync over HTTP", .timeLimit(.minutes(2)))
struct SyncTests {
    @Test("BlogSchema.sdl, which the demo's server serves, is schema.graphql, which the models come from")
    func embeddedSchema() {
        #expect(BlogSchema.sdl == blogSchema.trimmingCharacters(in: .newlines))
    }

    @Test("a running store syncs again: a delta every deltaSyncInterval, a base sync when the last one expires")
    func resync() async throws {
        let clock = ManualClock()
        var configuration = SyncConfiguration()
        configuration.deltaSyncInterval = .seconds(60)
        configuration.fullSyncInterval = .seconds(3_600)
        let settings = configuration
        try await withBlogServer { server, client in
            try await withSyncedStore(server, client: client, configuration: settings, clock: clock) { synced in
                func postSynced(_ events: inout AsyncStream<SyncEvent>.Iterator) async -> ModelSyncedEvent? {
                    let event = await next(&events) {
                        if case .modelSynced(let model) = $0 { model.modelName == "Post" } else { false }
                    }
                    await next(&events) { $0 == .syncQueriesReady }
                    if case .modelSynced(let model)? = event { return model }
                    return nil
                }
                func create(_ id: String) async throws {
                    _ = try await server.dataSource.create(
                        "Post",
                        input: ["id": .string(id), "title": "t", "rating": 1, "status": "ACTIVE"]
                    )
                }
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                await next(&events) { $0 == .ready }
                try await create("p1")
                // Nothing happens until the interval ends.
                await clock.sleeper(dueAt: clock.now.advanced(by: .seconds(60)))
                #expect(try await synced.store.query(Post.self, byID: "p1") == nil)
                clock.advance(by: .seconds(60))
                let delta = try #require(await postSynced(&events))
                #expect(!delta.isFullSync && delta.created == 1)
                #expect(try await synced.store.query(Post.self, byID: "p1") != nil)

                // An hour after the first sync, the next round is a base sync.
                try await create("p2")
                await clock.sleeper(dueAt: clock.now.advanced(by: .seconds(60)))
                clock.advance(by: .seconds(3_540))
                let base = try #require(await postSynced(&events))
                #expect(base.isFullSync && base.created == 1 && base.evicted == 0)
                #expect(try await synced.store.query(Post.self).count == 2)
            }
        }
    }

    @Test("rounds of a running store begin at least a second apart, even with intervals of zero")
    func roundGap() async throws {
        let clock = ManualClock()
        var configuration = SyncConfiguration()
        configuration.fullSyncInterval = .zero
        configuration.deltaSyncInterval = .zero
        let settings = configuration
        try await withBlogServer { server, client in
            try await withSyncedStore(server, client: client, configuration: settings, clock: clock) { synced in
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                await next(&events) { $0 == .ready }
                for _ in 0..<3 {
                    // The next round waits for the clock, a second on.
                    await clock.sleeper(dueAt: clock.now.advanced(by: SyncEngine.minimumRoundGap))
                    clock.advance(by: SyncEngine.minimumRoundGap)
                    await next(&events) { if case .syncQueriesStarted = $0 { true } else { false } }
                    await next(&events) { $0 == .syncQueriesReady }
                }
            }
        }
    }

    @Test("local writes reach the server; the server's writes reach the store through base and delta syncs")
    func roundTrip() async throws {
        try await withBlogServer { server, client in
            // Already on the server before the first sync.
            _ = try await server.dataSource.create(
                "Post",
                input: ["id": "s1", "title": "from the server", "rating": 3, "status": "ACTIVE"]
            )
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            try await withSyncedStore(server, client: client, directory: directory) { synced in
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                let base = await next(&events) {
                    if case .modelSynced(let model) = $0 { model.modelName == "Post" } else { false }
                }
                guard case .modelSynced(let synced1)? = base else { return }
                #expect(synced1.isFullSync && synced1.created == 1)
                await next(&events) { $0 == .ready }
                #expect(try await synced.store.query(Post.self, byID: "s1")?.title == "from the server")

                // A local create, update and a child: each reaches the server once, merged.
                var post = Post(id: "p1", title: "local", rating: 1, status: .active)
                try await synced.store.save(post)
                post.rating = 2
                try await synced.store.save(post)
                try await synced.store.save(Comment(id: "c1", post: post, content: "first"))
                await drained(&events)
                let stored = try #require(try await serverPost(server, "p1"))
                #expect(stored["rating"] == 2 && stored["_version"] != nil, "\(stored)")
                #expect(try await server.dataSource.get("Comment", key: ["id": "c1"]) != nil)

                // An update goes over the version the last answer gave (the rating may have
                // gone in the create or after it, as the race with the first send went).
                guard case .int(let version)? = stored["_version"] else { return }
                post.title = "edited"
                try await synced.store.save(post)
                await drained(&events)
                #expect(try await serverPost(server, "p1")?["title"] == "edited")
                #expect(try await serverPost(server, "p1")?["_version"] == .int(version + 1))

                // The server changes meanwhile; the next start runs a delta sync.
                await synced.stop()
                _ = try await server.dataSource.update(
                    "Post",
                    input: ["id": "s1", "title": "changed on the server", "_version": 1]
                )
                _ = try await server.dataSource.delete("Post", input: ["id": "p1", "_version": .int(version + 1)])
                await synced.start()
                let delta = await next(&events) {
                    if case .modelSynced(let model) = $0 { model.modelName == "Post" } else { false }
                }
                guard case .modelSynced(let synced2)? = delta else { return }
                #expect(!synced2.isFullSync && synced2.updated == 1 && synced2.deleted == 1)
                #expect(try await synced.store.query(Post.self, byID: "s1")?.title == "changed on the server")
                #expect(try await synced.store.query(Post.self, byID: "p1") == nil)
            }
        }
    }

    @Test("a create whose answer was lost is sent again and recognised: one create on the server")
    func lostAnswer() async throws {
        try await withBlogServer { server, client in
            let faulty = faultyTransport(server, client)
            faulty.arm([.loseAnswer])
            var configuration = SyncConfiguration()
            configuration.retryPolicy = RetryPolicy(initialDelay: .milliseconds(1), maximumDelay: .milliseconds(5))
            try await withSyncedStore(server, client: client, configuration: configuration, transport: faulty) {
                synced in
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                await next(&events) { $0 == .ready }
                try await synced.store.save(Post(id: "p1", title: "once", rating: 1, status: .active))
                await drained(&events)
                #expect(faulty.mutations.count == 2)
                #expect(try await serverPost(server, "p1")?["_version"] == 1)
                #expect(try await synced.deadLetters().isEmpty)
            }
        }
    }

    @Test("a refused mutation goes to the dead letters with an event; retried, it is sent; discarded, it is gone")
    func deadLetters() async throws {
        try await withBlogServer { server, client in
            let faulty = faultyTransport(server, client)
            let refusal = SendFailure.errors([AppSyncError(.badRequest, "refused (injected)")])
            faulty.arm([.fail(refusal), .fail(refusal)])
            let reported = Locked<[SyncError]>([])
            var configuration = SyncConfiguration()
            configuration.errorHandler = { error in reported.withLock { $0.append(error) } }
            try await withSyncedStore(server, client: client, configuration: configuration, transport: faulty) {
                synced in
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                await next(&events) { $0 == .ready }
                try await synced.store.save(Post(id: "p1", title: "refused", rating: 1, status: .active))
                let failed = await next(&events) {
                    if case .outboxMutationFailed = $0 { true } else { false }
                }
                guard case .outboxMutationFailed(let mutation, let reason)? = failed else { return }
                #expect(mutation.modelID == "p1" && reason.contains("refused (injected)"))
                #expect(reported.withLock { $0 }.map(\.kind) == [.mutationFailed])
                let letters = try await synced.deadLetters()
                #expect(letters.map(\.entry.modelID) == ["p1"])
                #expect(try await synced.store.query(Post.self, byID: "p1") != nil)
                #expect(try await serverPost(server, "p1") == nil)

                // Retried: refused once more, then sent.
                #expect(try await synced.retry(letters[0]))
                await next(&events) { if case .outboxMutationFailed = $0 { true } else { false } }
                #expect(try await synced.retry(try #require(try await synced.deadLetters().first)))
                await next(&events) { if case .outboxMutationProcessed = $0 { true } else { false } }
                #expect(try await serverPost(server, "p1")?["title"] == "refused")
                #expect(try await synced.deadLetters().isEmpty)
                #expect(try await !synced.retry(letters[0]))
            }
        }
    }

    @Test("observeQuery snapshots say isSynced once their model's sync query finished; events come in order")
    func snapshotsAndEvents() async throws {
        try await withBlogServer { server, client in
            _ = try await server.dataSource.create(
                "Post",
                input: ["id": "s1", "title": "remote", "rating": 3, "status": "ACTIVE"]
            )
            try await withSyncedStore(server, client: client) { synced in
                var snapshots = synced.store.observeQuery(Post.self).makeAsyncIterator()
                let first = try await snapshots.next()
                #expect(first?.isSynced == false && first?.items.isEmpty == true)
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                var seen: [SyncEvent] = []
                while let event = await events.next() {
                    seen.append(event)
                    if event == .ready { break }
                }
                #expect(seen.first == .syncQueriesStarted(models: ["Post", "Comment"]))
                let synced = seen.compactMap { event -> ModelSyncedEvent? in
                    if case .modelSynced(let model) = event { model } else { nil }
                }
                #expect(synced.map(\.modelName) == ["Post", "Comment"])
                #expect(synced.map(\.created) == [1, 0] && synced.allSatisfy(\.isFullSync))
                #expect(seen.suffix(2) == [.syncQueriesReady, .ready])
                // The remote post arrives, then the model's sync finishes.
                var last = try await snapshots.next()
                while last?.isSynced != true { last = try await snapshots.next() }
                #expect(last?.items.map(\.id) == ["s1"])
            }
        }
    }

    @Test("start, stop, clear and writes from many tasks at once: afterwards the store converges on the server")
    func interleaved() async throws {
        let seed = SeededRandom.seed(named: "interleaved")
        print("interleaved seed \(seed) (replay with DATASTORE_TEST_SEED=\(seed))")
        try await withBlogServer { server, client in
            try await withSyncedStore(server, client: client) { synced in
                var random = SeededRandom(seed: seed)
                let operations = (0..<40).map { _ in Int.random(in: 0..<4, using: &random) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, operation) in operations.enumerated() {
                        group.addTask {
                            switch operation {
                            case 0: await synced.start()
                            case 1: await synced.stop()
                            case 2: try await synced.clear()
                            default:
                                try await synced.store.save(
                                    Post(id: "p\(index % 7)", title: "t\(index)", rating: index, status: .active)
                                )
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                // Whatever happened, one more run settles everything.
                await synced.stop()
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                await next(&events) { $0 == .ready }
                try await emptied(synced)
                await synced.stop()
                await synced.start()
                await next(&events) { $0 == .ready }
                let local = try await synced.store.query(Post.self).map(\.id).sorted()
                var remote: [String] = []
                for index in 0..<7 {
                    if let post = try await serverPost(server, "p\(index)"), post["_deleted"] != true {
                        remote.append("p\(index)")
                    }
                }
                #expect(local == remote, "seed \(seed)")
                #expect(try await synced.deadLetters().isEmpty, "seed \(seed)")
            }
        }
    }

    @Test("a schema change that wipes the store resets sync: unsent writes are reported, the next sync is a base sync")
    func schemaChange() async throws {
        try await withBlogServer { server, client in
            _ = try await server.dataSource.create(
                "Post",
                input: ["id": "s1", "title": "remote", "rating": 3, "status": "ACTIVE"]
            )
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            try await withSyncedStore(server, client: client, directory: directory) { synced in
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                await next(&events) { $0 == .ready }
                await synced.stop()
                try await synced.store.save(Post(id: "unsent", title: "offline", rating: 1, status: .active))
            }
            // The app's Post lost its status: not a change the store migrates in place.
            let reported = Locked<[SyncError]>([])
            var configuration = SyncConfiguration()
            configuration.errorHandler = { error in reported.withLock { $0.append(error) } }
            var storeConfiguration = DataStore.Configuration()
            storeConfiguration.onIncompatibleSchema = .wipe
            let synced = try await SyncedStore(
                models: [SlimPost.self, Comment.self],
                storage: .file(at: directory.file()),
                transport: AppSyncHTTPTransport(
                    endpoint: URL(string: server.endpoint)!,
                    authorization: .apiKey(server.apiKey),
                    client: client
                ),
                configuration: configuration,
                storeConfiguration: storeConfiguration
            )
            let errors = reported.withLock { $0 }
            #expect(errors.map(\.kind) == [.mutationsDiscarded])
            #expect(errors.first?.message.contains("unsent") == true)
            var events = synced.events.makeAsyncIterator()
            await synced.start()
            let event = await next(&events) {
                if case .modelSynced(let model) = $0 { model.modelName == "Post" } else { false }
            }
            if case .modelSynced(let model)? = event { #expect(model.isFullSync && model.created == 1) }
            await next(&events) { $0 == .ready }
            #expect(try await synced.store.query(SlimPost.self).map(\.values[1]) == ["remote"])
            await synced.close()
        }
    }
}

/// The blog's Post without its status: a schema change the store cannot migrate in place.
struct SlimPost: Model, Equatable {
    var values: [FieldValue]

    static let schema = ModelSchema(
        name: "Post",
        fields: [
            .required("id", .id), .required("title", .string), .required("rating", .int),
            .optional("createdAt", .dateTime, isReadOnly: true), .optional("updatedAt", .dateTime, isReadOnly: true),
        ]
    )
    static func fieldName(for keyPath: PartialKeyPath<SlimPost>) -> String? { nil }
    init(fieldValues: FieldValues) throws(FieldValueError) { values = try fieldValues.values }
    var fieldValues: [FieldValue] { values }
}
