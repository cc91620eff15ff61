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

/// Two devices editing one record, and what the backend's strategies and the conflict handler
/// make of it.
@Suite("Sync conflicts", .timeLimit(.minutes(2)))
struct ConflictTests {
    /// Runs `body` with two synced stores (laptop and phone) that both synced `p1` (title "T",
    /// rating 1) and are stopped.
    func withTwoDevices(
        strategy: ConflictStrategy = .automerge,
        phone phoneConfiguration: SyncConfiguration = SyncConfiguration(),
        _ body: @Sendable (TestServer, SyncedStore, SyncedStore) async throws -> Void
    ) async throws {
        var server = ServerConfiguration()
        server.defaultStrategy = strategy
        try await withSyncClient { client in
            try await withTestServer(schema: blogSchema, configuration: server) { server in
                _ = try await server.dataSource.create(
                    "Post",
                    input: ["id": "p1", "title": "T", "rating": 1, "status": "ACTIVE"]
                )
                try await withSyncedStore(server, client: client) { laptop in
                    try await withSyncedStore(server, client: client, configuration: phoneConfiguration) { phone in
                        for device in [laptop, phone] {
                            var events = device.events.makeAsyncIterator()
                            await device.start()
                            await next(&events) { $0 == .ready }
                            await device.stop()
                        }
                        try await body(server, laptop, phone)
                    }
                }
            }
        }
    }

    /// Edits p1 on `device` while it is stopped, then starts it and waits until the edit settled.
    func edit(_ device: SyncedStore, _ change: (inout Post) -> Void) async throws {
        var post = try #require(try await device.store.query(Post.self, byID: "p1"))
        change(&post)
        try await device.store.save(post)
        var events = device.events.makeAsyncIterator()
        await device.start()
        await drained(&events)
    }

    @Test("AUTOMERGE: the stale device's write merges on the server, and both devices end with the server's copy")
    func automerge() async throws {
        try await withTwoDevices { server, laptop, phone in
            try await edit(laptop) { $0.title = "laptop" }
            try await edit(phone) { $0.rating = 5 }
            // The phone's update was stale (version 1 against 2): AppSync keeps the server's scalars.
            let stored = try #require(try await serverPost(server, "p1"))
            #expect(stored["title"] == "laptop" && stored["_version"] == 3)
            let phoneCopy = try await phone.store.query(Post.self, byID: "p1")
            #expect(phoneCopy?.title == "laptop" && phoneCopy?.rating == stored["rating"]?.intValue)
            // The laptop catches up on its next sync.
            await laptop.stop()
            var events = laptop.events.makeAsyncIterator()
            await laptop.start()
            await next(&events) { $0 == .ready }
            #expect(try await laptop.store.query(Post.self, byID: "p1") == phoneCopy)
        }
    }

    @Test(
        "OPTIMISTIC_CONCURRENCY: the handler decides, with every resolution",
        arguments: ["applyRemote", "retryLocal", "retry", "discard"]
    )
    func optimistic(resolution: String) async throws {
        let conflicts = Locked<[SyncConflict]>([])
        var configuration = SyncConfiguration()
        configuration.conflictHandler = { conflict in
            conflicts.withLock { $0.append(conflict) }
            switch resolution {
            case "retryLocal": return .retryLocal
            case "retry":
                var post = conflict.local as! Post
                post.title = "chosen"
                return .retry(post)
            case "discard": return .discard
            default: return .applyRemote
            }
        }
        try await withTwoDevices(strategy: .optimisticConcurrency, phone: configuration) { server, laptop, phone in
            try await edit(laptop) { $0.title = "laptop" }
            try await edit(phone) { $0.title = "phone" }
            let seen = conflicts.withLock { $0 }
            #expect(seen.count == 1)
            #expect((seen.first?.local as? Post)?.title == "phone" && (seen.first?.remote as? Post)?.title == "laptop")
            let stored = try #require(try await serverPost(server, "p1"))
            let local = try await phone.store.query(Post.self, byID: "p1")?.title
            switch resolution {
            case "retryLocal":
                #expect(stored["title"] == "phone" && stored["_version"] == 3 && local == "phone")
            case "retry":
                #expect(stored["title"] == "chosen" && local == "chosen")
            case "discard":
                #expect(stored["title"] == "laptop" && local == "phone")
            default:
                #expect(stored["title"] == "laptop" && stored["_version"] == 2 && local == "laptop")
            }
            #expect(try await phone.deadLetters().isEmpty)
        }
    }

    @Test("CUSTOM: the server's handler merges; the stale device gets the merged copy without a conflict")
    func custom() async throws {
        let strategy = ConflictStrategy.custom { request in
            guard case .object(var existing) = request.existingItem, case .object(let incoming) = request.newItem,
                case .string(let old)? = existing["title"], case .string(let new)? = incoming["title"]
            else { return .reject }
            existing["title"] = .string(old + " + " + new)
            return .resolve(.object(existing))
        }
        let conflicts = Locked(0)
        var configuration = SyncConfiguration()
        configuration.conflictHandler = { _ in
            conflicts.withLock { $0 += 1 }
            return .applyRemote
        }
        try await withTwoDevices(strategy: strategy, phone: configuration) { server, laptop, phone in
            try await edit(laptop) { $0.title = "laptop" }
            try await edit(phone) { $0.title = "phone" }
            #expect(try await serverPost(server, "p1")?["title"] == "laptop + phone")
            #expect(try await phone.store.query(Post.self, byID: "p1")?.title == "laptop + phone")
            #expect(conflicts.withLock { $0 } == 0)
        }
    }

    @Test("a handler that keeps retrying is stopped after the bound: the server's copy wins, and it is reported")
    func boundedAttempts() async throws {
        let reported = Locked<[SyncError]>([])
        let calls = Locked(0)
        var configuration = SyncConfiguration()
        configuration.maximumConflictAttempts = 3
        configuration.errorHandler = { error in reported.withLock { $0.append(error) } }
        configuration.conflictHandler = { _ in
            calls.withLock { $0 += 1 }
            return .retryLocal
        }
        let settings = configuration
        try await withBlogServer { server, client in
            let faulty = faultyTransport(server, client)
            // The server's copy, as a conflict carries it, on every attempt.
            let remote: FieldValue = [
                "id": "p1", "title": "server", "rating": 9, "status": "ACTIVE", "__typename": "Post",
                "_version": 7, "_deleted": false, "_lastChangedAt": 1_790_000_000_000,
            ]
            let conflict = SendFailure.errors([
                AppSyncError(.conflictUnhandled, "Conflict resolver rejects mutation.", data: remote)
            ])
            faulty.arm(Array(repeating: .fail(conflict), count: 6))
            try await withSyncedStore(server, client: client, configuration: settings, transport: faulty) {
                synced in
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                await next(&events) { $0 == .ready }
                try await synced.store.save(Post(id: "p1", title: "local", rating: 1, status: .active))
                await drained(&events)
                #expect(calls.withLock { $0 } == 3)
                #expect(reported.withLock { $0 }.map(\.kind) == [.conflictSettled])
                #expect(try await synced.store.query(Post.self, byID: "p1")?.title == "server")
                #expect(try await synced.deadLetters().isEmpty)
            }
        }
    }

    @Test("a local update of a record the server deleted: deleted locally too, and reported")
    func updateOfDeleted() async throws {
        let reported = Locked<[SyncError]>([])
        var configuration = SyncConfiguration()
        configuration.errorHandler = { error in reported.withLock { $0.append(error) } }
        try await withTwoDevices(phone: configuration) { server, laptop, phone in
            let post = try #require(try await laptop.store.query(Post.self, byID: "p1"))
            try await laptop.store.delete(post)
            var events = laptop.events.makeAsyncIterator()
            await laptop.start()
            await drained(&events)
            try await edit(phone) { $0.title = "phone" }
            #expect(try await serverPost(server, "p1")?["_deleted"] == true)
            #expect(try await phone.store.query(Post.self, byID: "p1") == nil)
            #expect(reported.withLock { $0 }.map(\.kind) == [.conflictSettled])
        }
    }
}
