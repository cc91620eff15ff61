import AsyncHTTPClient
import BlogModels
import CorpusRecursive
import DataStore
import DataStoreAppSync
import DataStoreServer
import DataStoreServerTesting
import DataStoreTesting
import Foundation
import Testing

@testable import DataStoreSync

/// The outbox against the server: order, merges, re-creation, restarts.
@Suite("Outbox against the server", .timeLimit(.minutes(2)))
struct OutboxSyncTests {
    /// Two writes of one record, made while sync is stopped (their entries merge) or the second
    /// while the first is on the wire (they go one after the other), on a record the server has or
    /// not.
    struct WritePair: Sendable, CustomTestStringConvertible {
        enum Write: String, Sendable, CaseIterable { case save, delete }
        let onServer: Bool
        let first: Write
        let second: Write
        let inFlight: Bool

        var testDescription: String {
            "\(onServer ? "known" : "new") record: \(first) then \(second)\(inFlight ? ", the first on the wire" : "")"
        }

        static let all: [WritePair] = [false, true].flatMap { onServer in
            Write.allCases.flatMap { first in
                Write.allCases.flatMap { second in
                    [false, true].map { WritePair(onServer: onServer, first: first, second: second, inFlight: $0) }
                }
            }
        }
        // A delete of a record nobody has writes nothing to send or hold.
        .filter { $0.onServer || $0.first == .save }
    }

    @Test(
        "every pair of writes of one record, merged or one on the wire: the server ends as the store",
        arguments: WritePair.all
    )
    func writePairs(pair: WritePair) async throws {
        let reported = Locked<[SyncError]>([])
        var configuration = SyncConfiguration()
        configuration.errorHandler = { error in reported.withLock { $0.append(error) } }
        let settings = configuration
        try await withBlogServer { server, client in
            let faulty = faultyTransport(server, client)
            try await withSyncedStore(server, client: client, configuration: settings, transport: faulty) { synced in
                func write(_ kind: WritePair.Write, _ title: String) async throws {
                    switch kind {
                    case .save: try await synced.store.save(Post(id: "r", title: title, rating: 1, status: .active))
                    case .delete: _ = try await synced.store.delete(Post.self, byID: "r")
                    }
                }
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                await next(&events) { $0 == .ready }
                if pair.onServer {
                    try await write(.save, "v0")
                    await drained(&events)
                }
                if pair.inFlight {
                    faulty.arm([.hold])
                    var holding = faulty.holding.makeAsyncIterator()
                    try await write(pair.first, "v1")
                    _ = await holding.next()
                    try await write(pair.second, "v2")
                    faulty.release()
                } else {
                    await synced.stop()
                    try await write(pair.first, "v1")
                    try await write(pair.second, "v2")
                    await synced.start()
                }
                try await emptied(synced)
                let local = try await synced.store.query(Post.self, byID: "r")
                let remote = try await serverPost(server, "r")
                if let local {
                    #expect(
                        remote?["title"] == .string(local.title) && remote?["_deleted"] != true,
                        "\(String(describing: remote))"
                    )
                } else {
                    #expect(remote == nil || remote?["_deleted"] == true, "\(String(describing: remote))")
                }
                #expect(try await synced.deadLetters().isEmpty)
            }
        }
        #expect(reported.withLock { $0 }.isEmpty)
    }

    @Test("quick updates while the first write is on the wire: the server ends with the last one")
    func quickUpdates() async throws {
        try await withBlogServer { server, client in
            let faulty = faultyTransport(server, client)
            faulty.arm([.hold])
            try await withSyncedStore(server, client: client, transport: faulty) { synced in
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                await next(&events) { $0 == .ready }
                var post = Post(id: "p1", title: "v0", rating: 0, status: .active)
                try await synced.store.save(post)
                var holding = faulty.holding.makeAsyncIterator()
                _ = await holding.next()
                // The create waits on the wire; these merge into one update behind it.
                for version in 1...5 {
                    post.title = "v\(version)"
                    post.rating = version
                    try await synced.store.save(post)
                }
                faulty.release()
                await drained(&events)
                let stored = try #require(try await serverPost(server, "p1"))
                #expect(stored["title"] == "v5" && stored["rating"] == 5 && stored["_version"] == 2)
                #expect(faulty.mutations.count == 2)
                #expect(try await synced.store.query(Post.self, byID: "p1")?.title == "v5")
            }
        }
    }

    @Test("one in flight sends in outbox order; more send other records while one waits, never above the limit")
    func pipelining() async throws {
        try await withBlogServer { server, client in
            // Strict first-in, first-out.
            let strict = faultyTransport(server, client)
            var configuration = SyncConfiguration()
            configuration.mutationsInFlight = 1
            try await withSyncedStore(server, client: client, configuration: configuration, transport: strict) {
                synced in
                for index in 0..<12 {
                    try await synced.store.save(Post(id: "a\(index)", title: "t", rating: index, status: .active))
                }
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                await drained(&events)
            }
            #expect(strict.mutations.map(inputID) == (0..<12).map { "a\($0)" })
            #expect(strict.peakMutationsOnTheWire == 1)

            // Three at once: the first write waits on the wire, and the other records go by.
            let pipelined = faultyTransport(server, client)
            pipelined.arm([.hold])
            configuration.mutationsInFlight = 3
            try await withSyncedStore(server, client: client, configuration: configuration, transport: pipelined) {
                synced in
                for index in 0..<30 {
                    try await synced.store.save(Post(id: "b\(index)", title: "t", rating: index, status: .active))
                }
                var events = synced.events.makeAsyncIterator()
                var holding = pipelined.holding.makeAsyncIterator()
                await synced.start()
                // Three sends start at once: whichever reaches the wire first is the one held.
                let held = try #require(await holding.next().map(inputID))
                var processed = 0
                while processed < 29,
                    await next(
                        &events,
                        where: { event in
                            if case .outboxMutationProcessed = event { return true }
                            return false
                        }
                    ) != nil
                {
                    processed += 1
                }
                #expect(held.hasPrefix("b"))
                #expect(try await serverPost(server, held) == nil)
                pipelined.release()
                await next(&events) { $0 == .outboxStatus(isEmpty: true) }
            }
            #expect(pipelined.peakMutationsOnTheWire >= 2 && pipelined.peakMutationsOnTheWire <= 3)
            for index in 0..<30 {
                #expect(try await serverPost(server, "b\(index)")?["_version"] == 1)
            }
        }
    }

    @Test("a value nested deeper than sync selects is refused at save, naming its path; nothing is enqueued")
    func unselectedValues() async throws {
        // Never started: the refusal happens at the save.
        try await withUnstartedStore(models: CorpusRecursive.AppModels.models) { synced in
            func chain(_ levels: Int) -> Node {
                levels == 1 ? Node(label: "last") : Node(label: "n", children: [chain(levels - 1)])
            }
            let limit = ModelDocuments.recursionLimit
            try await synced.store.save(Folder(id: "kept", name: "a", root: chain(limit + 1)))
            await #expect {
                try await synced.store.save(Folder(id: "refused", name: "b", root: chain(limit + 2)))
            } throws: { error in
                guard let error = error as? DataStoreError else { return false }
                return error.code == .invalidValue && error.model == "Folder"
                    && error.field == "root" + String(repeating: ".children[0]", count: limit) + ".children"
            }
            #expect(try await synced.store.query(Folder.self, byID: "refused") == nil)
            #expect(try await synced.store.engine.outboxEntries().map(\.modelID) == ["kept"])
        }
    }

    @Test("pendingMutationCount counts the writes not on the backend yet, merged ones once")
    func pendingCount() async throws {
        try await withUnstartedStore { synced in
            #expect(try await synced.pendingMutationCount() == 0)
            var post = Post(id: "p", title: "t", rating: 1, status: .active)
            try await synced.store.save(post)
            post.title = "t2"
            try await synced.store.save(post)
            try await synced.store.save(Post(id: "q", title: "t", rating: 1, status: .active))
            #expect(try await synced.pendingMutationCount() == 2)
            _ = try await synced.store.delete(Post.self, byID: "q")
            #expect(try await synced.pendingMutationCount() == 1)
        }
    }

    @Test("answers settled together from many tasks: all written, one that cannot be does not hold back the rest")
    func settleBatches() async throws {
        try await withUnstartedStore { synced in
            let posts = (0..<40).map { Post(id: "p\($0)", title: "t", rating: $0, status: .active) }
            try await synced.store.save(posts)
            let engine = synced.store.engine
            let entries = try await engine.outboxEntries()
            let queue = SettleQueue(engine: engine)
            let unknown = ModelSchema(name: "Unknown", fields: [.required("id", .id)])
            let results = await withTaskGroup(of: (String, Bool).self) { group in
                for (entry, post) in zip(entries, posts) {
                    group.addTask {
                        let remote = RemoteRecord(
                            values: post.fieldValues,
                            state: RemoteRecordState(version: 1, lastChangedAt: 1, isDeleted: false)
                        )
                        let settlement = StorageEngine.Settlement(
                            entry: entry,
                            schema: Post.schema,
                            remote: remote,
                            sent: nil,
                            sentVersion: nil
                        )
                        return (entry.modelID, await queue.settle(settlement))
                    }
                }
                group.addTask {
                    let settlement = StorageEngine.Settlement(
                        entry: entries[0],
                        schema: unknown,
                        remote: nil,
                        sent: nil,
                        sentVersion: nil
                    )
                    return ("unknown", await queue.settle(settlement))
                }
                return await group.reduce(into: [String: Bool]()) { $0[$1.0] = $1.1 }
            }
            #expect(results["unknown"] == false)
            #expect(results.filter { $0.value }.count == 40)
            #expect(try await engine.outboxEntries().isEmpty)
            #expect(try await engine.remoteState(model: "Post", modelID: "p39")?.version == 1)
        }
    }

    @Test("a deleted record saved again comes back on the server, whether its delete was sent or not")
    func recreate() async throws {
        try await withBlogServer { server, client in
            try await withSyncedStore(server, client: client) { synced in
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                await next(&events) { $0 == .ready }
                try await synced.store.save(Post(id: "sent", title: "one", rating: 1, status: .active))
                try await synced.store.save(Post(id: "pending", title: "one", rating: 1, status: .active))
                await drained(&events)
                // The delete reaches the server first: the record is a tombstone there.
                try await synced.store.delete(Post.self, byID: "sent")
                await drained(&events)
                #expect(try await serverPost(server, "sent")?["_deleted"] == true)
                try await synced.store.save(Post(id: "sent", title: "back", rating: 2, status: .active))
                await drained(&events)
                // Offline: the delete never leaves, the new save takes its place.
                await synced.stop()
                try await synced.store.delete(Post.self, byID: "pending")
                try await synced.store.save(Post(id: "pending", title: "back", rating: 2, status: .active))
                await synced.start()
                await drained(&events)
                for id in ["sent", "pending"] {
                    let stored = try #require(try await serverPost(server, id))
                    #expect(stored["title"] == "back" && stored["_deleted"] != true, "\(id): \(stored)")
                    #expect(try await synced.store.query(Post.self, byID: id)?.title == "back")
                }
            }
        }
    }

    @Test("a post and its comments saved offline in one batch reach the server, parents first")
    func offlineBatch() async throws {
        try await withBlogServer { server, client in
            try await withSyncedStore(server, client: client) { synced in
                let post = Post(id: "p1", title: "offline", rating: 1, status: .active)
                try await synced.store.save(post)
                try await synced.store.save([
                    Comment(id: "c1", post: post, content: "a"), Comment(id: "c2", post: post, content: "b"),
                ])
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                await drained(&events)
                #expect(try await serverPost(server, "p1") != nil)
                for id in ["c1", "c2"] {
                    let comment = try await server.dataSource.get("Comment", key: ["id": .string(id)])
                    guard case .object(let members)? = comment else {
                        Issue.record("\(id) is not on the server")
                        continue
                    }
                    #expect(members["postID"] == "p1")
                }
            }
        }
    }

    @Test("stopped in the middle of a full outbox and opened again: every write reaches the server once")
    func restart() async throws {
        try await withBlogServer { server, client in
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let faulty = faultyTransport(server, client)
            var configuration = SyncConfiguration()
            configuration.mutationsInFlight = 1
            // The 5th write reaches the server but its answer is lost; the 8th is on its way
            // when the store goes away.
            try await withSyncedStore(
                server,
                client: client,
                directory: directory,
                configuration: configuration,
                transport: faulty
            ) { synced in
                for index in 0..<20 {
                    try await synced.store.save(Post(id: "p\(index)", title: "t", rating: index, status: .active))
                }
                faulty.arm([.pass, .pass, .pass, .pass, .loseAnswer, .pass, .pass, .hold])
                var holding = faulty.holding.makeAsyncIterator()
                await synced.start()
                _ = await holding.next()
            }
            // Opened again from the same file: what was left is sent, nothing twice.
            try await withSyncedStore(server, client: client, directory: directory) { synced in
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                await next(&events) { $0 == .outboxStatus(isEmpty: true) }
                let pending = try await synced.store.engine.outboxEntries()
                #expect(pending.isEmpty)
            }
            for index in 0..<20 {
                let stored = try #require(try await serverPost(server, "p\(index)"))
                #expect(stored["_version"] == 1 && stored["rating"] == .int(index), "p\(index): \(stored)")
            }
        }
    }

    @Test("sync queries page to the end, stop at the cap without advancing, and evict what a new expression leaves out")
    func syncQueries() async throws {
        try await withBlogServer { server, client in
            for index in 0..<25 {
                _ = try await server.dataSource.create(
                    "Post",
                    input: ["id": .string("p\(index)"), "title": "t", "rating": .int(index), "status": "ACTIVE"]
                )
            }
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            func synced(_ configuration: SyncConfiguration) async throws -> ModelSyncedEvent? {
                try await withSyncedStore(
                    server,
                    client: client,
                    directory: directory,
                    configuration: configuration
                ) {
                    synced in
                    var events = synced.events.makeAsyncIterator()
                    await synced.start()
                    let event = await next(&events) {
                        if case .modelSynced(let model) = $0 { model.modelName == "Post" } else { false }
                    }
                    await next(&events) { $0 == .ready }
                    if case .modelSynced(let model)? = event { return model }
                    return nil
                }
            }
            var capped = SyncConfiguration()
            capped.syncPageSize = 10
            capped.maxRecordsToSync = 15
            let first = try #require(try await synced(capped))
            #expect(first.isFullSync && first.created == 15)
            // The capped sync did not advance: the next one is a base sync again, and reads all.
            var paged = SyncConfiguration()
            paged.syncPageSize = 10
            let second = try #require(try await synced(paged))
            #expect(second.isFullSync && second.created == 10 && second.evicted == 0)
            let third = try #require(try await synced(paged))
            #expect(!third.isFullSync && third.created == 0)
            // A new expression: a base sync, and the posts it leaves out are evicted.
            var selective = paged
            selective.syncExpressions = [SyncExpression(Post.self, where: \.rating >= 20)]
            let fourth = try #require(try await synced(selective))
            #expect(fourth.isFullSync && fourth.evicted == 20)
            let kept = try await withSyncedStore(server, client: client, directory: directory) { synced in
                try await synced.store.query(Post.self).map(\.rating).sorted()
            }
            #expect(kept == Array(20..<25))
        }
    }

    @Test("network status: reported when requests start failing to connect and when they get through, once each")
    func networkStatus() async throws {
        var configuration = SyncConfiguration()
        configuration.retryPolicy = RetryPolicy(initialDelay: .milliseconds(1), maximumDelay: .milliseconds(5))
        let settings = configuration
        let statuses = Locked<[Bool]>([])
        try await withBlogServer { server, client in
            let faulty = faultyTransport(server, client)
            try await withSyncedStore(server, client: client, configuration: settings, transport: faulty) { synced in
                let events = synced.events
                let watcher = Task {
                    for await event in events {
                        if case .networkStatus(let isActive) = event { statuses.withLock { $0.append(isActive) } }
                        if case .outboxMutationProcessed = event { return }
                    }
                }
                var progress = synced.events.makeAsyncIterator()
                await synced.start()
                await next(&progress) { $0 == .ready }
                let down = SendFailure.transport("connection refused (injected)")
                faulty.arm([.fail(down), .fail(down), .fail(.status(503, retryAfter: nil, errors: [])), .fail(down)])
                try await synced.store.save(Post(id: "p1", title: "t", rating: 1, status: .active))
                await watcher.value
                #expect(try await serverPost(server, "p1") != nil)
            }
        }
        // Up after the sync queries; down (twice, told once); up (a 503 is an answer); down; up.
        #expect(statuses.withLock { $0 } == [true, false, true, false, true])
    }

    @Test("a 503 waits its Retry-After on the store's clock; a 401 pauses sending until credentials change")
    func waits() async throws {
        let clock = ManualClock()
        let reported = Locked<[SyncError]>([])
        var configuration = SyncConfiguration()
        configuration.retryPolicy = RetryPolicy(initialDelay: .seconds(1), maximumDelay: .seconds(60))
        configuration.errorHandler = { error in reported.withLock { $0.append(error) } }
        let settings = configuration
        try await withBlogServer { server, client in
            let faulty = faultyTransport(server, client)
            try await withSyncedStore(
                server,
                client: client,
                configuration: settings,
                transport: faulty,
                clock: clock
            ) {
                synced in
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                await next(&events) { $0 == .ready }
                // The run's next sync waits for the base sync to expire; the waits under
                // test come on top of it.
                await clock.sleeper(dueAt: clock.now.advanced(by: settings.fullSyncInterval))
                let sleeping = clock.sleeperCount
                faulty.arm([.fail(.status(503, retryAfter: .seconds(30), errors: []))])
                try await synced.store.save(Post(id: "p1", title: "later", rating: 1, status: .active))
                await clock.sleepers(atLeast: sleeping + 1)
                #expect(try await serverPost(server, "p1") == nil)
                clock.advance(by: .seconds(30))
                await next(&events) { if case .outboxMutationProcessed = $0 { true } else { false } }
                #expect(try await serverPost(server, "p1") != nil)

                faulty.arm([.fail(.status(401, retryAfter: nil, errors: [AppSyncError(.unauthorized, "expired")]))])
                try await synced.store.save(Post(id: "p2", title: "paused", rating: 1, status: .active))
                await clock.sleepers(atLeast: sleeping + 1)
                #expect(reported.withLock { $0 }.map(\.kind) == [.unauthorized])
                #expect(try await serverPost(server, "p2") == nil)
                await synced.credentialsChanged()
                try await synced.store.save(Post(id: "p3", title: "after", rating: 1, status: .active))
                await drained(&events)
                #expect(try await serverPost(server, "p2") != nil)
                #expect(try await serverPost(server, "p3") != nil)
                #expect(try await synced.deadLetters().isEmpty)
            }
        }
    }
}

/// The `id` of a mutation's input, or "?" when it has none.
private func inputID(_ request: OperationRequest) -> String {
    guard case .object(let input)? = request.variables["input"], case .string(let id)? = input["id"] else {
        return "?"
    }
    return id
}
