import DataStoreTestSupport
import DataStoreTesting
import Foundation
import RelationModels
import Testing

@testable import DataStore

@Suite("Predicates across relations")
struct RelationPredicateTests {
    @Test("selecting children by their parent, and parents by their children", arguments: TemporaryStorage.allCases)
    func bothDirections(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let fixture = try await Fixture.make(in: store, posts: 5, comments: 2)
            let good = try await store.query(Comment.self, where: Comment.post.matching(\.rating > 3))
            #expect(
                good.keys
                    == fixture.comments.filter { $0.postID == fixture.posts[3].id || $0.postID == fixture.posts[4].id }
                    .keys
            )
            // The builder form, combined with a condition on the model itself.
            let firstComments = try await store.query(Comment.self) {
                Comment.post { \.rating >= 4 }
                QueryPredicate.contains(\.content, "comment 0")
            }
            #expect(firstComments.count == 2)
            // Parents by children: any child matching.
            try await store.save(Comment(post: fixture.posts[0], content: "Swift rocks"))
            let posts = try await store.query(Post.self, where: Post.comments.matching(.contains(\.content, "Swift")))
            #expect(posts.keys == [fixture.posts[0].id])
            // matching(.all): has any related model at all.
            let empty = try await store.save(Post(blog: fixture.blog, title: "no comments", rating: 9))
            let withComments = try await store.query(Post.self, where: Post.comments.matching(.all))
            #expect(withComments.keys == fixture.posts.keys)
            #expect(try await store.query(Post.self, where: !Post.comments.matching(.all)).keys == [empty.id])
        }
    }

    @Test("relations nest: comments of posts of a named blog", arguments: TemporaryStorage.allCases)
    func nested(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let first = try await Fixture.make(in: store, name: "first", posts: 2, comments: 2)
            _ = try await Fixture.make(in: store, name: "second", posts: 2, comments: 2)
            let comments = try await store.query(Comment.self) {
                Comment.post {
                    Post.blog { \.name == "first" }
                    \.rating == 2
                }
            }
            #expect(comments.keys == first.comments.filter { $0.postID == first.posts[1].id }.keys)
            #expect(try await store.count(Comment.self, where: Comment.post.matching(Post.blog.matching(.all))) == 8)
        }
    }

    @Test(
        "null keys and missing targets relate to nothing; negation is the exact complement",
        arguments: TemporaryStorage.allCases
    )
    func nullsAndNegation(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let root = try await store.save(Folder(name: "root"))
            let child = try await store.save(Folder(name: "child", parent: root))
            let orphan = try await store.save(Folder(name: "orphan", parentID: "gone"))
            let hasRootParent = Folder.parent.matching(\.name == "root")
            #expect(try await store.query(Folder.self, where: hasRootParent).keys == [child.id])
            #expect(try await store.query(Folder.self, where: !hasRootParent).keys == [root.id, orphan.id].sorted())
            #expect(try await store.query(Folder.self, where: Folder.parent.matching(.all)).keys == [child.id])
            #expect(try await store.query(Folder.self, where: Folder.children.matching(.all)).keys == [root.id])
        }
    }

    @Test("deleting by a predicate across relations", arguments: TemporaryStorage.allCases)
    func deleteByRelation(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let fixture = try await Fixture.make(in: store, posts: 3, comments: 2)
            let deleted = try await store.delete(Comment.self, where: Comment.post.matching(\.rating == 1))
            #expect(deleted.keys == fixture.comments.prefix(2).keys)
            #expect(try await store.count(Comment.self) == 4)
        }
    }

    @Test("a condition on a write cannot follow relations")
    func conditionsStayLocal() async throws {
        try await withStore { store in
            let fixture = try await Fixture.make(in: store, posts: 1, comments: 1)
            let error = await expectDataStoreError(.invalidPredicate) {
                try await store.save(fixture.comments[0], where: Comment.post.matching(\.rating > 0))
            }
            #expect(error?.field == "post")
            await expectDataStoreError(.invalidPredicate) {
                try await store.delete(fixture.comments[0], where: Comment.post.matching(\.rating > 0))
            }
            #expect(try await store.count(Comment.self) == 1)
        }
    }

    @Test("an unknown relation name is an unknownField error naming the relations")
    func unknownRelation() async throws {
        try await withStore { store in
            let error = await expectDataStoreError(.unknownField) {
                _ = try await store.query(Comment.self, where: QueryPredicate(.related("author", .all)))
            }
            #expect(error?.message.contains("post") == true)
        }
    }

    /// Random data and random predicates across relations: SQLite's semi-joins and the in-memory
    /// evaluator must select the same models.
    @Test("SQL and in-memory evaluation agree on random predicates across relations")
    func differential() async throws {
        let seed = SeededRandom.seed(named: "relation predicates")
        print("RelationPredicateTests.differential seed: \(seed) (replay with DATASTORE_TEST_SEED=\(seed))")
        var generator = SeededRandom(seed: seed)
        try await withStore(.sqliteFile) { sqlite in
            try await withStore(.ephemeral) { memory in
                for store in [sqlite, memory] {
                    var local = SeededRandom(seed: seed)
                    try await Self.populate(store, &local)
                    try await Self.populateFolders(store, &local)
                }
                for round in 0..<300 {
                    let predicate = Self.commentPredicate(&generator, depth: 2)
                    let fromSQL = try await sqlite.query(Comment.self, where: predicate).keys
                    let fromMemory = try await memory.query(Comment.self, where: predicate).keys
                    #expect(fromSQL == fromMemory, "seed \(seed) round \(round): \(predicate.predicate)")
                    let folderPredicate = Self.folderPredicate(&generator, depth: 3)
                    let foldersSQL = try await sqlite.query(Folder.self, where: folderPredicate).keys
                    let foldersMemory = try await memory.query(Folder.self, where: folderPredicate).keys
                    #expect(foldersSQL == foldersMemory, "seed \(seed) round \(round): \(folderPredicate.predicate)")
                    let postPredicate = Self.postPredicate(&generator, depth: 2)
                    let postsSQL = try await sqlite.query(Post.self, where: postPredicate).keys
                    let postsMemory = try await memory.query(Post.self, where: postPredicate).keys
                    #expect(postsSQL == postsMemory, "seed \(seed) round \(round): \(postPredicate.predicate)")
                }
            }
        }
    }

    static func populate(_ store: DataStore, _ random: inout SeededRandom) async throws {
        var blogs: [Blog] = []
        for index in 0..<3 { blogs.append(try await store.save(Blog(id: "b\(index)", name: ["a", "b", "c"][index]))) }
        var posts: [Post] = []
        for index in 0..<12 {
            let blog = blogs[Int(random.next() % 3)]
            posts.append(
                try await store.save(
                    Post(id: "p\(index)", blog: blog, title: "t\(random.next() % 4)", rating: Int(random.next() % 6))
                )
            )
        }
        for index in 0..<40 {
            let post = posts[Int(random.next() % 12)]
            let likes: Int? = random.next() % 3 == 0 ? nil : Int(random.next() % 10)
            try await store.save(Comment(id: "c\(index)", post: post, content: "x\(random.next() % 5)", likes: likes))
        }
    }

    /// Folders with null, dangling and cyclic parent keys.
    static func populateFolders(_ store: DataStore, _ random: inout SeededRandom) async throws {
        for index in 0..<15 {
            let parent: String?
            switch random.next() % 4 {
            case 0: parent = nil
            case 1: parent = "missing"
            default: parent = "f\(random.next() % 15)"
            }
            try await store.save(Folder(id: "f\(index)", name: "n\(random.next() % 3)", parentID: parent))
        }
    }

    static func folderPredicate(_ random: inout SeededRandom, depth: Int) -> QueryPredicate<Folder> {
        switch random.next() % (depth > 0 ? 6 : 3) {
        case 0: return \.name == "n\(random.next() % 3)"
        case 1: return \.parentID == nil
        case 2: return \.parentID != "f\(random.next() % 15)"
        case 3: return Folder.parent.matching(folderPredicate(&random, depth: depth - 1))
        case 4: return Folder.children.matching(folderPredicate(&random, depth: depth - 1))
        default: return !folderPredicate(&random, depth: depth - 1)
        }
    }

    static func commentPredicate(_ random: inout SeededRandom, depth: Int) -> QueryPredicate<Comment> {
        switch random.next() % (depth > 0 ? 7 : 4) {
        case 0: return \.likes > Int(random.next() % 10)
        case 1: return \.likes == nil
        case 2: return \.content == "x\(random.next() % 5)"
        case 3: return .in(\.likes, [1, 3, 5])
        case 4: return Comment.post.matching(postPredicate(&random, depth: depth - 1))
        case 5: return !commentPredicate(&random, depth: depth - 1)
        default:
            return random.next() % 2 == 0
                ? commentPredicate(&random, depth: depth - 1) && commentPredicate(&random, depth: depth - 1)
                : commentPredicate(&random, depth: depth - 1) || commentPredicate(&random, depth: depth - 1)
        }
    }

    static func postPredicate(_ random: inout SeededRandom, depth: Int) -> QueryPredicate<Post> {
        switch random.next() % (depth > 0 ? 7 : 3) {
        case 0: return \.rating >= Int(random.next() % 6)
        case 1: return \.title == "t\(random.next() % 4)"
        case 2: return .beginsWith(\.blogID, "b\(random.next() % 3)")
        case 3: return Post.blog.matching(random.next() % 2 == 0 ? \.name == "a" : \.name != "b")
        case 4: return Post.comments.matching(commentPredicate(&random, depth: depth - 1))
        case 5: return !postPredicate(&random, depth: depth - 1)
        default: return postPredicate(&random, depth: depth - 1) || postPredicate(&random, depth: depth - 1)
        }
    }
}
