import AsyncHTTPClient
import BlogModels
import DataStore
import DataStoreAppSync
import DataStoreServer
import DataStoreServerTesting
import DataStoreSyncTesting
import DataStoreTesting
import Foundation
import Testing

@testable import DataStoreSync

/// The real-time connection against the real server's WebSocket (PROTOCOL §6).
// Each test takes a fraction of a second alone; ten reconnections and their sync rounds took
// a minute when the whole suite shared two cores under ThreadSanitizer.
@Suite("Subscriptions", .timeLimit(.minutes(3)))
struct SubscriptionTests {
    @Test(
        "the real-time endpoint from the GraphQL endpoint",
        arguments: [
            (
                "https://abc.appsync-api.eu-west-1.amazonaws.com/graphql",
                "wss://abc.appsync-realtime-api.eu-west-1.amazonaws.com/graphql"
            ),
            ("http://127.0.0.1:4000/graphql", "ws://127.0.0.1:4000/graphql/realtime"),
            ("https://api.example.com/graphql/", "wss://api.example.com/graphql/realtime"),
        ]
    )
    func endpoint(graphQL: String, realtime: String) throws {
        #expect(RealtimeEndpoint.url(for: try #require(URL(string: graphQL)))?.absoluteString == realtime)
        #expect(RealtimeEndpoint.url(for: try #require(URL(string: "ftp://host/graphql"))) == nil)
    }

    @Test("subscribed to every model's changes: creates, updates and deletes by others arrive, in order")
    func changes() async throws {
        try await withBlogServer { server, _ in
            let notices = Notices()
            let processor = SubscriptionProcessor(
                endpoint: try #require(URL(string: server.realtimeEndpoint)),
                authorization: .apiKey(server.apiKey),
                models: BlogModels.AppModels.models.map(SyncedModel.init),
                clock: SystemClock()
            )
            let running = Task { await processor.run(notices.add) }
            let established = await notices.first { if case .established = $0 { true } else { false } }
            guard case .established(let refused)? = established else { throw Unexpected() }
            #expect(refused.isEmpty)
            _ = try await server.dataSource.create(
                "Post",
                input: ["id": "p1", "title": "live", "rating": 1, "status": "ACTIVE"]
            )
            _ = try await server.dataSource.update("Post", input: ["id": "p1", "title": "edited", "_version": 1])
            _ = try await server.dataSource.delete("Post", input: ["id": "p1", "_version": 2])
            var versions: [Int] = []
            for _ in 0..<3 {
                let notice = await notices.first {
                    if case .changed("Post", _) = $0 { true } else { false }
                }
                if case .changed(_, let item)? = notice { versions.append(item.version) }
            }
            #expect(versions == [1, 2, 3])
            running.cancel()
            #expect(await running.value == .cancelled)
        }
    }

    @Test("a socket that goes silent is found dead when the keep-alive timeout passes")
    func keepAliveWatchdog() async throws {
        let clock = ManualClock()
        try await withProxiedBlogServer { server, _, proxy in
            let notices = Notices()
            let processor = SubscriptionProcessor(
                endpoint: try #require(URL(string: proxy.realtimeEndpoint)),
                authorization: .apiKey(server.apiKey),
                models: BlogModels.AppModels.models.map(SyncedModel.init),
                clock: clock
            )
            let start = clock.now
            let running = Task { await processor.run(notices.add) }
            _ = await notices.first { if case .established = $0 { true } else { false } }
            // The watchdog first waited for the acknowledgements (15 s); woken, it waits for
            // the keep-alive the server promised (its default: 5 minutes).
            await clock.sleeper(dueAt: start.advanced(by: .seconds(15)))
            clock.advance(by: .seconds(15))
            await clock.sleeper(dueAt: start.advanced(by: .seconds(300)))
            proxy.blackHole()
            clock.advance(by: .seconds(285))
            #expect(await running.value == .keepAliveMissed)
        }
    }

    @Test(
        "a sync expression a subscription filter can say goes with the subscriptions: the backend leaves the rest out"
    )
    func serverSideFilter() async throws {
        try await withBlogServer { server, _ in
            let models = BlogModels.AppModels.models.map(SyncedModel.init)
            let filters = SyncedStore.subscriptionFilters(
                [
                    SyncExpression(Post.self, where: \.rating >= 4),
                    SyncExpression(Comment.self, where: !(\.content == "x")),
                ],
                models
            )
            // `not` has no subscription form: comments are filtered as they arrive.
            #expect(filters == ["Post": ["rating": ["ge": 4]]])
            let notices = Notices()
            let processor = SubscriptionProcessor(
                endpoint: try #require(URL(string: server.realtimeEndpoint)),
                authorization: .apiKey(server.apiKey),
                models: models,
                filters: filters,
                clock: SystemClock()
            )
            let running = Task { await processor.run(notices.add) }
            let established = await notices.first { if case .established = $0 { true } else { false } }
            guard case .established(let refused)? = established else {
                Issue.record("not established: \(String(describing: established))")
                return
            }
            #expect(refused.isEmpty)
            // Published in this order: the first to arrive is the first the filter lets through.
            for (id, rating) in [("low", 1), ("high", 5)] {
                _ = try await server.dataSource.create(
                    "Post",
                    input: ["id": .string(id), "title": "t", "rating": .int(rating), "status": "ACTIVE"]
                )
            }
            let change = await notices.first { if case .changed = $0 { true } else { false } }
            guard case .changed(_, let item)? = change else {
                Issue.record("no change arrived")
                return
            }
            #expect(Post.schema.identifierText(of: item.values) == "high")
            running.cancel()
            _ = await running.value
        }
    }

    @Test("a wrong key is refused, and said so")
    func refused() async throws {
        try await withBlogServer { server, _ in
            let processor = SubscriptionProcessor(
                endpoint: try #require(URL(string: server.realtimeEndpoint)),
                authorization: .apiKey("da2-wrong"),
                models: BlogModels.AppModels.models.map(SyncedModel.init),
                clock: SystemClock()
            )
            let ending = await processor.run { _ in }
            guard case .refused = ending else {
                Issue.record("ended \(ending)")
                return
            }
        }
    }
}

extension SubscriptionTests {
    /// A synced blog store subscribed through `realtime` (the server's endpoint unless given).
    func withLiveStore<T>(
        _ server: TestServer,
        _ client: HTTPClient,
        realtime: String? = nil,
        configuration: SyncConfiguration = SyncConfiguration(),
        _ body: (SyncedStore) async throws -> T
    ) async throws -> T {
        try await withSyncedStore(
            server,
            client: client,
            configuration: configuration,
            realtime: realtime ?? server.realtimeEndpoint,
            body
        )
    }

    /// A live blog store whose HTTP goes straight to the server and whose socket goes through a
    /// fault proxy, retrying after a few milliseconds, started and ready, for the length of
    /// `body`; the events it is given begin after `ready`.
    func withReadyProxiedStore(
        _ body:
            @Sendable (TestServer, FaultProxy, SyncedStore, inout AsyncStream<SyncEvent>.Iterator) async throws -> Void
    ) async throws {
        var configuration = SyncConfiguration()
        configuration.retryPolicy = RetryPolicy(initialDelay: .milliseconds(1), maximumDelay: .milliseconds(10))
        let settings = configuration
        try await withProxiedBlogServer { server, client, proxy in
            let realtime = proxy.realtimeEndpoint
            try await withLiveStore(server, client, realtime: realtime, configuration: settings) { store in
                var events = store.events.makeAsyncIterator()
                await store.start()
                await next(&events) { $0 == .ready }
                try await body(server, proxy, store, &events)
            }
        }
    }

    @Test("a save on one store appears on the other through the subscription, with no sync round between")
    func liveBetweenStores() async throws {
        try await withBlogServer { server, client in
            try await withLiveStore(server, client) { laptop in
                try await withLiveStore(server, client) { phone in
                    var laptopEvents = laptop.events.makeAsyncIterator()
                    var phoneEvents = phone.events.makeAsyncIterator()
                    await laptop.start()
                    await phone.start()
                    // Subscriptions come up before the first sync.
                    let first = await next(&phoneEvents) { event in
                        switch event {
                        case .subscriptionsEstablished, .syncQueriesStarted: true
                        default: false
                        }
                    }
                    #expect(first == .subscriptionsEstablished(refused: []))
                    await next(&phoneEvents) { $0 == .ready }
                    await next(&laptopEvents) { $0 == .ready }
                    let changes = phone.store.observe(Post.self)
                    try await laptop.store.save(Post(id: "live", title: "hello", rating: 5, status: .active))
                    var arrived = changes.makeAsyncIterator()
                    let change = try await arrived.next()
                    #expect(change?.model.id == "live" && change?.source == .remote && change?.kind == .created)
                    #expect(try await phone.store.query(Post.self, byID: "live")?.title == "hello")
                }
            }
        }
    }

    @Test("live changes outside the store's sync expression are left out, as its sync leaves them out")
    func selective() async throws {
        var selective = SyncConfiguration()
        selective.syncExpressions = [SyncExpression(Post.self, where: \.rating >= 4)]
        let settings = selective
        // The laptop sends one at a time, so the server publishes the two in the order saved.
        var strict = SyncConfiguration()
        strict.mutationsInFlight = 1
        let sender = strict
        try await withBlogServer { server, client in
            try await withLiveStore(server, client, configuration: sender) { laptop in
                try await withLiveStore(server, client, configuration: settings) { phone in
                    var laptopEvents = laptop.events.makeAsyncIterator()
                    var phoneEvents = phone.events.makeAsyncIterator()
                    await laptop.start()
                    await phone.start()
                    await next(&phoneEvents) { $0 == .ready }
                    await next(&laptopEvents) { $0 == .ready }
                    let changes = phone.store.observe(Post.self)
                    // In order on one socket: when the second arrives, the first was seen.
                    try await laptop.store.save(Post(id: "low", title: "1", rating: 1, status: .active))
                    try await laptop.store.save(Post(id: "high", title: "5", rating: 5, status: .active))
                    var arrived = changes.makeAsyncIterator()
                    #expect(try await arrived.next()?.model.id == "high")
                    #expect(try await phone.store.query(Post.self, byID: "low") == nil)
                }
            }
        }
    }

    @Test("changes held during a sync are applied after it; what does not fit calls for a sync round")
    func inboxOverflow() async throws {
        try await withUnstartedStore { synced in
            let context = SyncContext(
                store: synced.store,
                transport: NowhereTransport(),
                configuration: SyncConfiguration(),
                clock: SystemClock(),
                events: EventBroadcaster(),
                models: BlogModels.AppModels.models.map(SyncedModel.init)
            )
            let resync = WorkSignal()
            let inbox = RemoteInbox(context: context, resync: resync, limit: 2)
            let applying = Task { await inbox.run() }
            func item(_ id: String) throws -> RemoteItem {
                try RemoteItem(
                    decoding: [
                        "id": .string(id), "title": "t", "rating": 1, "status": "ACTIVE", "__typename": "Post",
                        "_version": 1, "_deleted": false, "_lastChangedAt": 1,
                    ],
                    schema: Post.schema,
                    path: "test"
                )
            }
            await inbox.beginSync()
            for id in ["a", "b", "c"] { await inbox.receive("Post", try item(id)) }
            #expect(try await synced.store.query(Post.self).isEmpty)
            await inbox.endSync()
            var rounds = resync.wakeUps.makeAsyncIterator()
            #expect(await rounds.next() != nil)
            #expect(try await synced.store.query(Post.self).map(\.id).sorted() == ["a", "b"])
            applying.cancel()
            await applying.value
        }
    }

    @Test("a socket cut in the middle of a change's frame: reconnected, and the change arrives once")
    func cutMidFrame() async throws {
        try await withReadyProxiedStore { server, proxy, phone, events in
            // The next frame to the client on this socket is cut 20 bytes in (the
            // socket the store reconnects with is not).
            proxy.cut(after: 20, .toClient, newConnections: false)
            _ = try await server.dataSource.create(
                "Post",
                input: ["id": "cut", "title": "half a frame", "rating": 1, "status": "ACTIVE"]
            )
            await next(&events) { $0 == .subscriptionsEstablished(refused: []) }
            await next(&events) { $0 == .syncQueriesReady }
            let stored = try await phone.store.query(Post.self, byID: "cut")
            #expect(stored?.title == "half a frame")
            #expect(try await phone.store.engine.remoteState(model: "Post", modelID: "cut")?.version == 1)
        }
    }

    @Test("a dropped socket is reconnected, and a sync round brings what changed while it was down")
    func reconnect() async throws {
        try await withReadyProxiedStore { server, proxy, phone, events in
            // Down: the socket is reset and no new one gets through.
            proxy.refuseConnections()
            proxy.drop()
            _ = try await server.dataSource.create(
                "Post",
                input: ["id": "missed", "title": "while down", "rating": 1, "status": "ACTIVE"]
            )
            #expect(try await phone.store.query(Post.self, byID: "missed") == nil)
            proxy.heal()
            await next(&events) { $0 == .subscriptionsEstablished(refused: []) }
            await next(&events) { if case .syncQueriesStarted = $0 { true } else { false } }
            await next(&events) { $0 == .syncQueriesReady }
            #expect(try await phone.store.query(Post.self, byID: "missed")?.title == "while down")
            #expect(proxy.acceptedConnections >= 2)
        }
    }

    @Test("ten reconnections: every post made while up or down arrives once, none twice, none missing")
    func tenReconnects() async throws {
        try await withReadyProxiedStore { server, proxy, phone, events in
            // Every change after ready, counted.
            var arrived = phone.store.observe(Post.self).makeAsyncIterator()
            var seen: [String: Int] = [:]
            func create(_ id: String) async throws {
                _ = try await server.dataSource.create(
                    "Post",
                    input: ["id": .string(id), "title": "t", "rating": 1, "status": "ACTIVE"]
                )
            }
            /// Reads changes until `id` arrived, counting every arrival.
            func arrival(of id: String) async throws {
                while seen[id] == nil, let change = try await arrived.next() {
                    seen[change.model.id, default: 0] += 1
                }
            }
            for round in 0..<10 {
                // Down: the sockets reset, new ones refused; a post is made meanwhile.
                proxy.refuseConnections()
                proxy.drop()
                try await create("down\(round)")
                proxy.heal()
                // Back: the reconnection's sync round brings it.
                await next(&events) { $0 == .subscriptionsEstablished(refused: []) }
                try await arrival(of: "down\(round)")
                // Up: the subscription brings the next one.
                try await create("up\(round)")
                try await arrival(of: "up\(round)")
            }
            // One more live change after the last: nothing was left to arrive late.
            try await create("last")
            try await arrival(of: "last")
            let expected = Set((0..<10).flatMap { ["down\($0)", "up\($0)"] } + ["last"])
            #expect(Set(seen.keys) == expected)
            #expect(seen.values.allSatisfy { $0 == 1 }, "\(seen.filter { $0.value > 1 })")
            #expect(try await phone.store.count(Post.self) == expected.count)
            #expect(proxy.acceptedConnections >= 11)
        }
    }

}

struct Unexpected: Error {}

/// What a processor notified, for a test to wait on.
final class Notices: Sendable {
    private let state = Locked<(seen: [SubscriptionProcessor.Notice], read: Int)>(([], 0))
    // One stream per test, a handful of notices: unbounded is bounded by the test.
    private let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .unbounded)

    @Sendable func add(_ notice: SubscriptionProcessor.Notice) async {
        state.withLock { $0.seen.append(notice) }
        continuation.yield()
    }

    /// The next notice not read yet that matches, waiting for it.
    func first(where matches: (SubscriptionProcessor.Notice) -> Bool) async -> SubscriptionProcessor.Notice? {
        var wakeUps = stream.makeAsyncIterator()
        while true {
            let found: SubscriptionProcessor.Notice? = state.withLock { state in
                while state.read < state.seen.count {
                    let notice = state.seen[state.read]
                    state.read += 1
                    if matches(notice) { return notice }
                }
                return nil
            }
            if let found { return found }
            guard await wakeUps.next() != nil else { return nil }
        }
    }
}
