import DataStoreTestSupport
import DataStoreTesting
import Foundation
import GRDB
import RelationModels
import Testing

@testable import DataStore

@Suite("Relations save as keys and load lazily")
struct LoadingTests {
    @Test("a model built from its parent stores the parent's key", arguments: TemporaryStorage.allCases)
    func savesKeys(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let fixture = try await Fixture.make(in: store, posts: 1, comments: 1)
            let comment = fixture.comments[0]
            #expect(comment.postID == fixture.posts[0].id)
            let stored = try #require(try await store.query(Comment.self, byID: comment.id))
            #expect(stored.postID == fixture.posts[0].id)
            #expect(try await store.query(Comment.self, where: \.postID == fixture.posts[0].id).keys == [comment.id])
        }
    }

    @Test("to-one relations load from the store the model came from", arguments: TemporaryStorage.allCases)
    func loadsToOne(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let fixture = try await Fixture.make(in: store, posts: 2, comments: 1)
            let queried = try #require(try await store.query(Comment.self, byID: fixture.comments[1].id))
            let post = try await queried.post
            #expect(post == fixture.posts[1])
            let blog = try await post.blog
            #expect(blog == fixture.blog)
            // A loaded model loads its own relations in turn.
            #expect(try await blog.posts.count() == 2)
        }
    }

    @Test("a model saved from related models returns them without reading, while its keys still match")
    func initializerModels() async throws {
        let blog = Blog(name: "detached")
        let post = Post(blog: blog, title: "t", rating: 1)
        // Never stored, yet the relation loads: the initializer kept the blog.
        #expect(try await post.blog == blog)
        var moved = post
        moved.blogID = "somewhere-else"
        // The key no longer points at the kept blog, and no store produced the post.
        await expectDataStoreError(.detachedModel) { _ = try await moved.blog }
        await expectDataStoreError(.detachedModel) { _ = try await post.comments.fetch() }
    }

    @Test("saving returns the model attached to the store")
    func saveAttaches() async throws {
        try await withStore { store in
            let blog = try await store.save(Blog(name: "b"))
            let post = try await store.save(Post(blogID: blog.id, title: "t", rating: 3))
            #expect(try await post.blog == blog)
            #expect(try await blog.posts.fetch() == [post])
        }
    }

    @Test("a required relation whose model is gone throws relatedModelMissing; an optional one is nil")
    func missingTargets() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file()
        var store = try await DataStore(models: AppModels.models, storage: .file(at: path))
        let fixture = try await Fixture.make(in: store, posts: 1, comments: 1)
        let customer = try await store.save(Customer(email: "a@example.com", name: "A"))
        let order = try await store.save(Order(customer: customer, number: 1, total: 10))
        await store.close()
        // The parents disappear without their children, as when sync delivers them out of order.
        let queue = try DatabaseQueue(path: path.path)
        try await queue.write { db in
            try db.execute(sql: #"DELETE FROM "Post""#)
            try db.execute(sql: #"DELETE FROM "Customer""#)
        }
        try queue.close()
        store = try await DataStore(models: AppModels.models, storage: .file(at: path))
        let comment = try #require(try await store.query(Comment.self, byID: fixture.comments[0].id))
        let error = await expectDataStoreError(.relatedModelMissing) { _ = try await comment.post }
        #expect(error?.model == "Comment" && error?.field == "post")
        let reloaded = try #require(try await store.query(Order.self, byIdentifier: order.identifier))
        #expect(try await reloaded.customer == nil)
        await store.close()
    }

    @Test("a null key relates to nothing")
    func nullKeys() async throws {
        try await withStore { store in
            let root = try await store.save(Folder(name: "root"))
            #expect(root.parentID == nil)
            #expect(try await root.parent == nil)
            #expect(try await root.children.fetch().isEmpty)
            let blog = try await store.save(Blog(name: "no settings"))
            #expect(try await blog.settings == nil)
        }
    }

    @Test("a model whose store is gone throws storeClosed")
    func storeGone() async throws {
        var store: DataStore? = try await DataStore(models: AppModels.models, storage: .inMemory)
        let blog = try await store!.save(Blog(name: "b"))
        await store!.close()
        await expectDataStoreError(.storeClosed) { _ = try await blog.posts.fetch() }
        store = nil
        await expectDataStoreError(.storeClosed) { _ = try await blog.posts.count() }
    }

    @Test("a to-many relation fetches, filters, sorts, pages and counts", arguments: TemporaryStorage.allCases)
    func toMany(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let fixture = try await Fixture.make(in: store, posts: 5, comments: 0)
            let other = try await Fixture.make(in: store, name: "other", posts: 2, comments: 0)
            let posts = fixture.blog.posts
            #expect(try await posts.fetch().keys == fixture.posts.keys)
            #expect(try await posts.count() == 5)
            #expect(try await posts.count(where: \.rating > 3) == 2)
            let sorted = try await posts.fetch(where: \.rating >= 2, sort: .descending(\.rating))
            #expect(sorted.map(\.rating) == [5, 4, 3, 2])
            let page = try await posts.fetch(sort: .ascending(\.rating), page: QueryPage(index: 1, size: 2))
            #expect(page.map(\.rating) == [3, 4])
            #expect(try await posts.first(sort: .descending(\.rating))?.rating == 5)
            let built = try await posts.fetch { \.rating < 3 }
            #expect(built.map(\.rating).sorted() == [1, 2])
            #expect(try await other.blog.posts.count() == 2)
        }
    }

    @Test("iterating a to-many relation reads it a page at a time, each model once, in key order")
    func iteration() async throws {
        try await withStore { store in
            let fixture = try await Fixture.make(in: store, posts: 1, comments: 0)
            let post = fixture.posts[0]
            var saved: [Comment] = []
            for index in 0..<23 { saved.append(Comment(post: post, content: "c\(index)")) }
            try await store.save(saved)
            var seen: [String] = []
            for try await comment in post.comments.paged(by: 5) { seen.append(comment.id) }
            #expect(seen == saved.map(\.id).sorted())
            var all: [String] = []
            for try await comment in post.comments { all.append(comment.id) }
            #expect(all == seen)
        }
    }

    @Test("composite keys: a relation keyed by two fields loads both ways", arguments: TemporaryStorage.allCases)
    func compositeRelations(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let customer = try await store.save(Customer(email: "c@example.com", name: "C"))
            let first = try await store.save(Order(customer: customer, number: 1, total: 5))
            let second = try await store.save(Order(customer: customer, number: 2, total: 7))
            try await store.save(OrderLine(order: first, product: "apple"))
            try await store.save(OrderLine(order: second, product: "pear"))
            try await store.save(OrderLine(order: second, product: "plum"))
            #expect(try await customer.orders.fetch(sort: .ascending(\.number)).map(\.number) == [1, 2])
            let lines = try await second.lines.fetch(sort: .ascending(\.product))
            #expect(lines.map(\.product) == ["pear", "plum"])
            #expect(try await lines[0].order == second)
            #expect(try await first.lines.count() == 1)
        }
    }
}
