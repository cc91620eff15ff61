import BlogModels
import DataStoreTestSupport
import DataStoreTesting
import Foundation
import Testing

@testable import DataStore

@Suite("observe")
struct ObserveTests {
    @Test("delivers creates, updates and deletes in commit order", arguments: TemporaryStorage.allCases)
    func lifecycle(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let changes = store.observe(Post.self)
            var post = Post(title: "one", rating: 1, status: .active)
            try await store.save(post)
            post.rating = 2
            try await store.save(post)
            try await store.delete(post)
            var iterator = changes.makeAsyncIterator()
            let created = try await iterator.next()
            let updated = try await iterator.next()
            let deleted = try await iterator.next()
            #expect(created?.kind == .created)
            #expect(created?.model.rating == 1)
            #expect(updated?.kind == .updated)
            #expect(updated?.model.rating == 2)
            #expect(deleted?.kind == .deleted)
            #expect(deleted?.model == post)
            #expect(deleted?.source == .local)
        }
    }

    @Test("filters by predicate and by id; ignores other models")
    func filters() async throws {
        try await withStore { store in
            let good = store.observe(Post.self, where: \.rating > 4)
            let one = store.observe(Post.self, byID: "p2")
            try await store.save(Comment(postID: "x", content: "ignored"))
            try await store.save(Post(id: "p1", title: "low", rating: 1, status: .active))
            try await store.save(Post(id: "p2", title: "high", rating: 9, status: .active))
            try await store.save(Post(id: "p3", title: "high too", rating: 7, status: .active))
            var goodIterator = good.makeAsyncIterator()
            #expect(try await goodIterator.next()?.model.id == "p2")
            #expect(try await goodIterator.next()?.model.id == "p3")
            var oneIterator = one.makeAsyncIterator()
            #expect(try await oneIterator.next()?.model.id == "p2")
            await store.close()
            #expect(try await oneIterator.next() == nil)
        }
    }

    @Test("a batch save and a delete by predicate give one event per model, in order")
    func batches() async throws {
        try await withStore { store in
            let changes = store.observe(Post.self)
            let posts = (0..<50).map { Post(id: String(format: "p%02d", $0), title: "t", rating: $0, status: .active) }
            try await store.save(posts)
            let deleted = try await store.delete(Post.self, where: \.rating >= 40)
            var iterator = changes.makeAsyncIterator()
            for post in posts {
                let event = try await iterator.next()
                #expect(event?.kind == .created)
                #expect(event?.model.id == post.id)
            }
            var deletedIDs: Set<String> = []
            for _ in deleted { deletedIDs.insert(try await iterator.next()?.model.id ?? "") }
            #expect(deletedIDs == Set(posts[40...].map(\.id)))
        }
    }

    @Test("an invalid observation throws on the first iteration")
    func invalidObservation() async throws {
        let store = try await DataStore(models: [Everything.self], storage: .inMemory)
        await expectDataStoreError(.modelNotRegistered) {
            for try await _ in store.observe(Post.self) {}
        }
        await expectDataStoreError(.unknownField) {
            for try await _ in store.observe(Everything.self, where: QueryPredicate(.field("nope", .eq(1)))) {}
        }
        await store.close()
    }

    @Test("a consumer that falls too far behind gets every buffered event, then observerOverflow")
    func overflow() async throws {
        var configuration = DataStore.Configuration()
        configuration.observerBufferLimit = 5
        try await withStore(configuration: configuration) { store in
            let changes = store.observe(Post.self)
            for index in 0..<8 {
                try await store.save(Post(id: "p\(index)", title: "t", rating: index, status: .active))
            }
            var received: [String] = []
            let error = await expectDataStoreError(.observerOverflow) {
                for try await change in changes { received.append(change.model.id) }
            }
            #expect(received == ["p0", "p1", "p2", "p3", "p4"])
            #expect(error?.model == "Post")
            // The store is unaffected; a new observation works.
            var fresh = store.observe(Post.self).makeAsyncIterator()
            try await store.save(Post(id: "later", title: "t", rating: 1, status: .active))
            #expect(try await fresh.next()?.model.id == "later")
        }
    }

    @Test("a batch larger than the buffer limit is one commit and does not overflow")
    func bigBatchFits() async throws {
        var configuration = DataStore.Configuration()
        configuration.observerBufferLimit = 2
        try await withStore(configuration: configuration) { store in
            let changes = store.observe(Post.self)
            try await store.save((0..<1_000).map { Post(title: "t", rating: $0 % 10, status: .active) })
            var count = 0
            var iterator = changes.makeAsyncIterator()
            while count < 1_000, try await iterator.next() != nil { count += 1 }
            #expect(count == 1_000)
        }
    }

    @Test("cancelling an observe loop, or dropping the sequence, frees its subscription")
    func cancellationFreesResources() async throws {
        try await withStore { store in
            #expect(store.hub.subscriberCount == 0)
            let (started, startedContinuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            let changes = store.observe(Post.self)
            let task = Task {
                var count = 0
                startedContinuation.yield()
                for try await _ in changes { count += 1 }
                return count
            }
            var startedIterator = started.makeAsyncIterator()
            await startedIterator.next()
            #expect(store.hub.subscriberCount == 1)
            task.cancel()
            _ = try await task.value
            #expect(store.hub.subscriberCount == 0)

            do { _ = store.observe(Post.self) }
            #expect(store.hub.subscriberCount == 0)

            do { _ = store.observeQuery(Post.self) }
            #expect(store.hub.subscriberCount == 0)
        }
    }

    @Test("closing the store ends every observation")
    func closeEnds() async throws {
        let store = try await DataStore(models: SeedModels.self, storage: .inMemory)
        let changes = store.observe(Post.self)
        let snapshots = store.observeQuery(Post.self)
        var snapshotIterator = snapshots.makeAsyncIterator()
        #expect(try await snapshotIterator.next()?.items == [])
        await store.close()
        for try await _ in changes { Issue.record("no event expected") }
        #expect(try await snapshotIterator.next() == nil)
        #expect(store.hub.subscriberCount == 0)
    }
}

@Suite("observeQuery")
struct ObserveQueryTests {
    @Test(
        "first the current result, then a fresh sorted snapshot after each relevant change",
        arguments: TemporaryStorage.allCases
    )
    func snapshots(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            try await store.save(Post(id: "a", title: "a", rating: 5, status: .active))
            try await store.save(Post(id: "low", title: "low", rating: 1, status: .active))
            var snapshots = store.observeQuery(Post.self, where: \.rating > 4, sort: .descending(\.rating))
                .makeAsyncIterator()
            let first = try await snapshots.next()
            #expect(first?.items.map(\.id) == ["a"])
            #expect(first?.isSynced == false)

            try await store.save(Post(id: "b", title: "b", rating: 9, status: .active))
            #expect(try await snapshots.next()?.items.map(\.id) == ["b", "a"])

            try await store.save(Post(id: "a", title: "a", rating: 10, status: .active))
            #expect(try await snapshots.next()?.items.map(\.id) == ["a", "b"])

            try await store.save(Post(id: "b", title: "b", rating: 2, status: .active))
            #expect(try await snapshots.next()?.items.map(\.id) == ["a"])

            try await store.save(Post(id: "low", title: "low", rating: 7, status: .active))
            #expect(try await snapshots.next()?.items.map(\.id) == ["a", "low"])

            try await store.delete(Post.self, byID: "a")
            #expect(try await snapshots.next()?.items.map(\.id) == ["low"])

            try await store.clear()
            #expect(try await snapshots.next()?.items == [])
        }
    }

    @Test("changes that do not affect the result produce no snapshot")
    func irrelevantChanges() throws {
        let schema = Post.schema
        let good: QueryPredicate<Post> = \.rating > 4
        let request = FetchRequest(predicate: try good.predicate.resolve(against: schema))
        var state = QuerySnapshots<Post>.SnapshotState.empty(schema, request)
        func change(_ post: Post, _ kind: MutationKind) -> ChangeBatch {
            ChangeBatch(changes: [
                StorageChange(
                    modelName: "Post",
                    kind: kind,
                    source: .local,
                    identifier: ModelIdentifier([.string(post.id)]),
                    values: post.fieldValues,
                    model: post
                )
            ])
        }
        #expect(state.apply(change(Post(id: "x", title: "x", rating: 1, status: .active), .created)) == false)
        #expect(state.apply(change(Post(id: "y", title: "y", rating: 5, status: .active), .created)) == true)
        #expect(state.apply(change(Post(id: "x", title: "x", rating: 2, status: .active), .updated)) == false)
        #expect(state.apply(change(Post(id: "x", title: "x", rating: 2, status: .active), .deleted)) == false)
        #expect(state.apply(change(Post(id: "y", title: "y", rating: 5, status: .active), .deleted)) == true)
        #expect(state.rows.isEmpty)
    }

    @Test("a consumer that falls behind re-runs the query and still gets the exact result")
    func overflowRequeries() async throws {
        var configuration = DataStore.Configuration()
        configuration.observerBufferLimit = 3
        try await withStore(configuration: configuration) { store in
            var snapshots = store.observeQuery(Post.self, sort: .ascending(\.rating)).makeAsyncIterator()
            #expect(try await snapshots.next()?.items == [])
            for index in 0..<10 {
                try await store.save(Post(id: "p\(index)", title: "t", rating: index, status: .active))
            }
            try await store.delete(Post.self, byID: "p0")
            let snapshot = try await snapshots.next()
            #expect(snapshot?.items.map(\.rating) == Array(1..<10))
        }
    }

    @Test("an invalid query throws on the first iteration")
    func invalidQuery() async throws {
        try await withStore { store in
            await expectDataStoreError(.unknownField) {
                for try await _ in store.observeQuery(Post.self, where: \.shout == "x") {}
            }
        }
    }
}

extension QuerySnapshots.SnapshotState {
    static func empty(_ schema: ModelSchema, _ request: FetchRequest) -> Self {
        Self(schema: schema, request: request, rows: [])
    }
}
