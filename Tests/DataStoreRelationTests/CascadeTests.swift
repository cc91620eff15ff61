import DataStoreTestSupport
import DataStoreTesting
import Foundation
import RelationModels
import Testing

@testable import DataStore

@Suite("Deleting a parent deletes its children")
struct CascadeTests {
    @Test(
        "a three-level cascade: blog → posts → comments, plus the blog's hasOne settings",
        arguments: TemporaryStorage.allCases
    )
    func threeLevels(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let settings = try await store.save(BlogSettings(theme: "dark"))
            let blog = try await store.save(Blog(name: "doomed", settings: settings))
            var posts: [Post] = []
            var comments: [Comment] = []
            for rating in 1...3 {
                let post = try await store.save(Post(blog: blog, title: "p\(rating)", rating: rating))
                posts.append(post)
                for index in 0..<2 { comments.append(try await store.save(Comment(post: post, content: "c\(index)"))) }
            }
            let survivor = try await Fixture.make(in: store, name: "survivor", posts: 2, comments: 2)

            // Observation starts when observe returns; the tasks only consume.
            let blogChanges = store.observe(Blog.self)
            let postChanges = store.observe(Post.self)
            let commentChanges = store.observe(Comment.self)
            let settingsChanges = store.observe(BlogSettings.self)
            let blogEvents = Task { try await Self.collect(blogChanges, count: 1) }
            let postEvents = Task { try await Self.collect(postChanges, count: 3) }
            let commentEvents = Task { try await Self.collect(commentChanges, count: 6) }
            let settingsEvents = Task { try await Self.collect(settingsChanges, count: 1) }

            let deleted = try await store.delete(blog)
            #expect(deleted == blog)
            #expect(try await blogEvents.value.map(\.model.id) == [blog.id])
            #expect(try await postEvents.value.map(\.model.id).sorted() == posts.map(\.id).sorted())
            #expect(try await commentEvents.value.map(\.model.id).sorted() == comments.map(\.id).sorted())
            #expect(try await settingsEvents.value.map(\.model.id) == [settings.id])
            #expect(try await blogEvents.value.allSatisfy { $0.kind == .deleted && $0.source == .local })

            #expect(try await store.query(Blog.self).keys == [survivor.blog.id])
            #expect(try await store.query(Post.self).keys == survivor.posts.keys)
            #expect(try await store.query(Comment.self).keys == survivor.comments.keys)
            #expect(try await store.count(BlogSettings.self) == 0)
        }
    }

    @Test("children are deleted before their parents, each once, in one commit")
    func order() async throws {
        try await withStore { store in
            let fixture = try await Fixture.make(in: store, posts: 2, comments: 2)
            let hub = store.hub
            let batches = Locked<[ChangeBatch]>([])
            let id = hub.subscribe(
                ChangeHub.Subscriber(
                    modelNames: ["Blog", "Post", "Comment", "BlogSettings", "PostTags"],
                    deliver: { batch in batches.withLock { $0.append(batch) } },
                    finish: {}
                )
            )
            try await store.delete(fixture.blog)
            hub.unsubscribe(try #require(id))
            let received = batches.withLock { $0 }
            #expect(received.count == 1, "one commit, one batch")
            let order = received.flatMap(\.changes).map { "\($0.modelName) \($0.identifier)" }
            #expect(order.count == 7)
            #expect(Set(order).count == 7)
            #expect(order.last == "Blog \(fixture.blog.id)")
            for post in fixture.posts {
                let postIndex = order.firstIndex(of: "Post \(post.id)")!
                for comment in fixture.comments where comment.postID == post.id {
                    #expect(order.firstIndex(of: "Comment \(comment.id)")! < postIndex)
                }
            }
        }
    }

    @Test("with sync enabled, each cascaded delete enqueues its own mutation, children first")
    func outbox() async throws {
        try await withStore(outboxEnabled: true) { store in
            let fixture = try await Fixture.make(in: store, posts: 1, comments: 2)
            // The creates were sent, so the deletes are entries of their own.
            let sent = try await store.engine.outboxEntries().map(\.sequence)
            try await store.engine.setOutboxInFlight(sent, true)
            let before = sent.count
            try await store.delete(fixture.posts[0])
            let entries = try await store.engine.outboxEntries().dropFirst(before)
            #expect(entries.map(\.kind) == [.delete, .delete, .delete])
            #expect(entries.map(\.modelName) == ["Comment", "Comment", "Post"])
            #expect(entries.last?.modelID == fixture.posts[0].id)
        }
    }

    @Test("many-to-many: deleting a post deletes its join rows, not the tags", arguments: TemporaryStorage.allCases)
    func manyToMany(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let fixture = try await Fixture.make(in: store, posts: 2, comments: 0)
            let swift = try await store.save(Tag(label: "swift"))
            let server = try await store.save(Tag(label: "server"))
            try await store.save(PostTags(post: fixture.posts[0], tag: swift))
            try await store.save(PostTags(post: fixture.posts[0], tag: server))
            try await store.save(PostTags(post: fixture.posts[1], tag: swift))

            let joins = try await fixture.posts[0].tags.fetch()
            var labels: [String] = []
            for join in joins { labels.append(try await join.tag.label) }
            #expect(labels.sorted() == ["server", "swift"])
            #expect(try await swift.posts.count() == 2)
            // Posts tagged swift, through the join model.
            let tagged = try await store.query(
                Post.self,
                where: Post.tags.matching(PostTags.tag.matching(\.label == "swift"))
            )
            #expect(tagged.keys == fixture.posts.keys)

            try await store.delete(fixture.posts[0])
            #expect(try await store.count(PostTags.self) == 1)
            #expect(try await store.query(Tag.self).keys == [swift.id, server.id].sorted())
            #expect(try await swift.posts.count() == 1)
            #expect(try await server.posts.count() == 0)
        }
    }

    @Test("deleting by predicate cascades, and returns the models that matched", arguments: TemporaryStorage.allCases)
    func byPredicate(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let fixture = try await Fixture.make(in: store, posts: 4, comments: 2)
            let deleted = try await store.delete(Post.self, where: \.rating <= 2)
            #expect(deleted.keys == fixture.posts.prefix(2).keys)
            #expect(try await store.count(Comment.self) == 4)
            #expect(try await store.count(Post.self) == 2)
        }
    }

    @Test("a tree deletes its subtree, and cyclic data ends", arguments: TemporaryStorage.allCases)
    func tree(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let root = try await store.save(Folder(name: "root"))
            var level = [root]
            for depth in 1...4 {
                var next: [Folder] = []
                for parent in level {
                    for index in 0..<2 {
                        next.append(try await store.save(Folder(name: "\(depth).\(index)", parent: parent)))
                    }
                }
                level = next
            }
            let other = try await store.save(Folder(name: "other"))
            #expect(try await store.count(Folder.self) == 32)
            try await store.delete(root)
            #expect(try await store.query(Folder.self).keys == [other.id])

            // a → b → a: each is the other's parent.
            try await store.save(Folder(id: "a", name: "a", parentID: "b"))
            try await store.save(Folder(id: "b", name: "b", parentID: "a"))
            let deleted = try await store.delete(Folder.self, byID: "a")
            #expect(deleted?.id == "a")
            #expect(try await store.query(Folder.self).keys == [other.id])
        }
    }

    @Test("a deep chain does not deepen the stack")
    func deepChain() async throws {
        try await withStore(.sqliteInMemory) { store in
            var folders = [Folder(id: "f0", name: "0")]
            for index in 1..<5_000 {
                folders.append(Folder(id: "f\(index)", name: "\(index)", parentID: "f\(index - 1)"))
            }
            try await store.save(folders)
            try await store.delete(Folder.self, byID: "f0")
            #expect(try await store.count(Folder.self) == 0)
        }
    }

    @Test("composite keys cascade: customer → orders → lines", arguments: TemporaryStorage.allCases)
    func composite(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let customer = try await store.save(Customer(email: "c@example.com", name: "C"))
            let other = try await store.save(Customer(email: "d@example.com", name: "D"))
            for number in 1...3 {
                let order = try await store.save(Order(customer: customer, number: number, total: 1))
                try await store.save(OrderLine(order: order, product: "x"))
            }
            let kept = try await store.save(Order(customer: other, number: 1, total: 2))
            try await store.save(OrderLine(order: kept, product: "y"))
            try await store.delete(Customer.self, byIdentifier: customer.identifier)
            #expect(try await store.query(Order.self).map(\.identifier) == [kept.identifier])
            #expect(try await store.query(OrderLine.self).map(\.product) == ["y"])
        }
    }

    /// The first `count` events of `changes`.
    static func collect<M: Model>(_ changes: ModelChanges<M>, count: Int) async throws -> [MutationEvent<M>] {
        var events: [MutationEvent<M>] = []
        for try await event in changes {
            events.append(event)
            if events.count == count { break }
        }
        return events
    }
}
