import DataStoreTestSupport
import DataStoreTesting
import Foundation
import RelationModels
import Testing

@testable import DataStore

@Suite("Observing by relation")
struct ObserveRelationTests {
    @Test(
        "observe(Comment.self, where: its post's rating) sees saves and deletes as of each commit",
        arguments: TemporaryStorage.allCases
    )
    func observeByParent(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let fixture = try await Fixture.make(in: store, posts: 2, comments: 0)
            let (low, high) = (fixture.posts[0], fixture.posts[1])
            let changes = store.observe(Comment.self, where: Comment.post.matching(\.rating > 1))
            var iterator = changes.makeAsyncIterator()

            try await store.save(Comment(id: "low", post: low, content: "not delivered"))
            try await store.save(Comment(id: "high", post: high, content: "delivered"))
            var event = try #require(try await iterator.next())
            #expect(event.kind == .created && event.model.id == "high")
            // The delivered model is attached: its relation loads.
            #expect(try await event.model.post.id == high.id)

            // Deleting the parent cascades; the child's deletion is judged before anything was deleted.
            try await store.delete(high)
            event = try #require(try await iterator.next())
            #expect(event.kind == .deleted && event.model.id == "high")

            // A change to the related model alone is not a change to a comment.
            var raised = low
            raised.rating = 9
            try await store.save(raised)
            try await store.save(Comment(id: "now-high", post: low, content: "delivered now"))
            event = try #require(try await iterator.next())
            #expect(event.model.id == "now-high")
        }
    }

    @Test("observing a relation's models: post.comments.observe()")
    func observeRelatedModels() async throws {
        try await withStore { store in
            let fixture = try await Fixture.make(in: store, posts: 2, comments: 0)
            var iterator = fixture.posts[1].comments.observe().makeAsyncIterator()
            try await store.save(Comment(post: fixture.posts[0], content: "elsewhere"))
            let mine = try await store.save(Comment(post: fixture.posts[1], content: "mine"))
            let event = try #require(try await iterator.next())
            #expect(event.model == mine)
            // The relation's predicate also works in a plain observation.
            var plain = store.observe(Comment.self, where: fixture.posts[1].comments.predicate).makeAsyncIterator()
            try await store.save(Comment(post: fixture.posts[1], content: "again"))
            #expect(try await plain.next()?.model.content == "again")
        }
    }

    @Test(
        "observeQuery with a relation predicate follows changes to the related models",
        arguments: TemporaryStorage.allCases
    )
    func snapshots(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let fixture = try await Fixture.make(in: store, posts: 2, comments: 2)
            var snapshots = store.observeQuery(
                Comment.self,
                where: Comment.post.matching(\.rating >= 2),
                sort: .ascending(\.content)
            ).makeAsyncIterator()
            var snapshot = try #require(try await snapshots.next())
            #expect(snapshot.items.keys == fixture.comments.suffix(2).keys)

            var raised = fixture.posts[0]
            raised.rating = 5
            try await store.save(raised)
            snapshot = try #require(try await snapshots.next())
            while snapshot.items.count != 4 { snapshot = try #require(try await snapshots.next()) }
            #expect(snapshot.items.keys == fixture.comments.keys)
            // Attached models: relations load from the snapshot's items.
            #expect(try await snapshot.items[0].post.rating >= 2)

            try await store.delete(fixture.posts[1])
            snapshot = try #require(try await snapshots.next())
            while snapshot.items.count != 2 { snapshot = try #require(try await snapshots.next()) }
            #expect(snapshot.items.keys == fixture.comments.prefix(2).keys)
        }
    }

    @Test("an observer of a relation predicate leaves nothing behind when it ends")
    func noLeaks() async throws {
        try await withStore { store in
            let fixture = try await Fixture.make(in: store, posts: 1, comments: 0)
            let before = store.hub.subscriberCount
            let task = Task {
                for try await _ in store.observe(Comment.self, where: Comment.post.matching(\.rating > 0)) {}
            }
            try await store.save(Comment(post: fixture.posts[0], content: "x"))
            task.cancel()
            _ = await task.result
            #expect(store.hub.subscriberCount == before)
            #expect(!store.hub.hasRelationFilters(for: "Comment"))
        }
    }
}
