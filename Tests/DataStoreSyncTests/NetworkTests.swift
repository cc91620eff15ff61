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

/// Offline and back: the events of a start, what the store finds out about the network, and what
/// it does when the network returns.
extension SubscriptionTests {
    @Test("an online start and a restart: the events in order, each once")
    func eventsInOrder() async throws {
        try await withBlogServer { server, client in
            _ = try await server.dataSource.create(
                "Post",
                input: ["id": "p", "title": "t", "rating": 1, "status": "ACTIVE"]
            )
            try await withLiveStore(server, client) { synced in
                /// The events of one start, up to the outbox's first status after `ready`.
                func start() async -> [SyncEvent] {
                    var events = synced.events.makeAsyncIterator()
                    await synced.start()
                    var seen: [SyncEvent] = []
                    while let event = await events.next() {
                        seen.append(event)
                        if case .outboxStatus = event, seen.contains(.ready) { break }
                    }
                    return seen
                }
                func modelSynced(_ model: String, full: Bool, created: Int) -> SyncEvent {
                    .modelSynced(
                        ModelSyncedEvent(
                            modelName: model,
                            isFullSync: full,
                            created: created,
                            updated: 0,
                            deleted: 0,
                            evicted: 0
                        )
                    )
                }
                let first = await start()
                #expect(
                    first == [
                        .networkStatus(isActive: true), .subscriptionsEstablished(refused: []),
                        .syncQueriesStarted(models: ["Post", "Comment"]), modelSynced("Post", full: true, created: 1),
                        modelSynced("Comment", full: true, created: 0), .syncQueriesReady, .ready,
                        .outboxStatus(isEmpty: true),
                    ]
                )
                await synced.stop()
                // Restarted: the network's status did not change, so it is not told again; the
                // rest is, with delta syncs now.
                let second = await start()
                #expect(
                    second == [
                        .subscriptionsEstablished(refused: []), .syncQueriesStarted(models: ["Post", "Comment"]),
                        modelSynced("Post", full: false, created: 0), modelSynced("Comment", full: false, created: 0),
                        .syncQueriesReady, .ready, .outboxStatus(isEmpty: true),
                    ]
                )
            }
        }
    }

    @Test("an offline start, then the network: the events tell it in order, and the store catches up")
    func offlineStart() async throws {
        let reported = Locked<[SyncError]>([])
        var configuration = SyncConfiguration()
        // Retries at once; and on a clock that never moves, no timed sync round can run: the
        // round that catches up can only be the one that follows the connection.
        configuration.retryPolicy = RetryPolicy(initialDelay: .zero, maximumDelay: .zero)
        configuration.errorHandler = { error in reported.withLock { $0.append(error) } }
        let settings = configuration
        try await withProxiedBlogServer { server, client, proxy in
            _ = try await server.dataSource.create(
                "Post",
                input: ["id": "waiting", "title": "on the server", "rating": 1, "status": "ACTIVE"]
            )
            proxy.refuseConnections()
            try await withSyncedStore(
                server,
                client: client,
                configuration: settings,
                transport: proxiedTransport(proxy, server, client, timeout: .seconds(30)),
                realtime: proxy.realtimeEndpoint,
                clock: ManualClock()
            ) { (synced) async throws -> Void in
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                var offline: [SyncEvent] = []
                while let event = await events.next() {
                    switch event {
                    case .syncQueriesStarted, .networkStatus, .syncQueriesReady, .ready, .subscriptionsEstablished:
                        offline.append(event)
                    default: break
                    }
                    if event == .ready { break }
                }
                // The socket that could not be opened is the first sign of the outage.
                #expect(offline.first == .networkStatus(isActive: false))
                #expect(offline.count == 4)
                if offline.count == 4, case .syncQueriesStarted = offline[1] {
                } else {
                    Issue.record("syncQueriesStarted second: \(offline)")
                }
                #expect(Array(offline.dropFirst(2)) == [.syncQueriesReady, .ready])
                #expect(
                    reported.withLock { $0.filter { $0.kind == .syncFailed }.count }
                        == BlogModels.AppModels.models.count
                )
                #expect(try await synced.store.query(Post.self, byID: "waiting") == nil)

                proxy.heal()
                await next(&events) { $0 == .networkStatus(isActive: true) }
                await next(&events) { $0 == .subscriptionsEstablished(refused: []) }
                let caughtUp = await next(&events) {
                    if case .modelSynced(let model) = $0 { model.modelName == "Post" } else { false }
                }
                if case .modelSynced(let model)? = caughtUp { #expect(model.isFullSync && model.created == 1) }
                #expect(try await synced.store.query(Post.self, byID: "waiting")?.title == "on the server")
            }
        }
    }

    @Test(
        "the network back: probes find it, and what waits is sent at once, whatever the back-off says",
        arguments: [true, false]
    )
    func networkRegained(subscribes: Bool) async throws {
        var configuration = SyncConfiguration()
        // Back-offs of up to an hour: only the probes can bring the store back within the test.
        configuration.retryPolicy = RetryPolicy(initialDelay: .seconds(3_600), maximumDelay: .seconds(3_600))
        configuration.reachabilityProbes = RetryPolicy(initialDelay: .milliseconds(5), maximumDelay: .milliseconds(20))
        let settings = configuration
        try await withProxiedBlogServer { server, client, proxy in
            try await withSyncedStore(
                server,
                client: client,
                configuration: settings,
                transport: proxiedTransport(proxy, server, client, timeout: .seconds(10)),
                realtime: subscribes ? proxy.realtimeEndpoint : nil
            ) { synced in
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                await next(&events) { $0 == .ready }
                proxy.refuseConnections()
                proxy.drop()
                try await synced.store.save(Post(id: "offline", title: "written offline", rating: 1, status: .active))
                _ = try await server.dataSource.create(
                    "Post",
                    input: ["id": "missed", "title": "while down", "rating": 1, "status": "ACTIVE"]
                )
                // The failed send tells the store it is offline; the probes fail while it is.
                await next(&events) { $0 == .networkStatus(isActive: false) }
                let refused = proxy.acceptedConnections
                proxy.heal()
                await next(&events) { $0 == .networkStatus(isActive: true) }
                #expect(proxy.acceptedConnections > refused)
                // Then the outbox drains and a sync round brings what changed meanwhile (after the
                // subscriptions reconnect, when there are any), in whichever order they finish.
                var (drained, caughtUp) = (false, false)
                var established = !subscribes
                while !(drained && caughtUp && established), let event = await events.next() {
                    switch event {
                    case .outboxStatus(isEmpty: true): drained = true
                    case .subscriptionsEstablished: established = true
                    case .syncQueriesReady: caughtUp = established
                    default: break
                    }
                }
                #expect(try await serverPost(server, "offline")?["title"] == "written offline")
                #expect(try await synced.store.query(Post.self, byID: "missed")?.title == "while down")
            }
        }
    }

    @Test("an offline start with back-offs of an hour: the network's return ends the sync queries' wait")
    func offlineStartLongBackOff() async throws {
        var configuration = SyncConfiguration()
        configuration.retryPolicy = RetryPolicy(initialDelay: .seconds(3_600), maximumDelay: .seconds(3_600))
        configuration.reachabilityProbes = RetryPolicy(initialDelay: .milliseconds(5), maximumDelay: .milliseconds(20))
        let settings = configuration
        try await withProxiedBlogServer { server, client, proxy in
            proxy.refuseConnections()
            try await withSyncedStore(
                server,
                client: client,
                configuration: settings,
                transport: proxiedTransport(proxy, server, client, timeout: .seconds(10))
            ) { synced in
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                // The first sync query fails and waits (up to an hour) to try again.
                await next(&events) { $0 == .networkStatus(isActive: false) }
                proxy.heal()
                await next(&events) { $0 == .networkStatus(isActive: true) }
                await next(&events) { $0 == .ready }
            }
        }
    }
}
