import CorpusV1Connections
import DataStore
import DataStoreTestSupport
import DataStoreTesting
import Foundation
import Testing

/// The v1 transformer's `@connection` in its forms, through models generated from Amplify's own
/// test schema: loads in both directions and cascading deletes.
@Suite("v1 @connection relations")
struct V1ConnectionTests {
    func withStore(_ body: (DataStore) async throws -> Void) async throws {
        try await withTestStore(.sqliteInMemory, models: AppModels.models, body)
    }

    @Test("@connection(name:) pairs a list with a required parent; deleting the parent deletes the comments")
    func named() async throws {
        try await withStore { store in
            let now = Temporal.DateTime(millisecondsSince1970: 1_700_000_000_000)!
            let post = try await store.save(Post(title: "t", content: "c", createdAt: now, status: .published))
            let comment = try await store.save(Comment(content: "hi", createdAt: now, post: post))
            #expect(comment.commentPostId == post.id)
            #expect(try await comment.post.id == post.id)
            #expect(try await post.comments.fetch().map(\.id) == [comment.id])
            #expect(try await store.query(Post.self, where: Post.comments.matching(\.content == "hi")).count == 1)
            try await store.delete(post)
            #expect(try await store.count(Comment.self) == 0)
        }
    }

    @Test("@connection(keyName:, fields:) three levels deep: Blog6 → Post6 → Comment6")
    func keyed() async throws {
        try await withStore { store in
            let blog = try await store.save(Blog6(name: "b"))
            let post = try await store.save(Post6(title: "p", blog: blog))
            let comment = try await store.save(Comment6(post: post, content: "c"))
            #expect(try await comment.post?.blog?.id == blog.id)
            #expect(try await blog.posts.count() == 1)
            #expect(try await post.comments.fetch() == [comment])
            let found = try await store.query(Comment6.self) {
                Comment6.post { Post6.blog { \.name == "b" } }
            }
            #expect(found == [comment])
            try await store.delete(blog)
            #expect(try await store.count(Post6.self) == 0)
            #expect(try await store.count(Comment6.self) == 0)
        }
    }

    @Test("a many-to-many through an explicit join model: deleting a post keeps the users")
    func joinModel() async throws {
        try await withStore { store in
            let post = try await store.save(Post5(title: "p"))
            let alice = try await store.save(User5(username: "alice"))
            let bob = try await store.save(User5(username: "bob"))
            try await store.save(PostEditor5(post: post, editor: alice))
            try await store.save(PostEditor5(post: post, editor: bob))
            var editors: [String] = []
            for join in try await post.editors.fetch() { editors.append(try await join.editor.username) }
            #expect(editors.sorted() == ["alice", "bob"])
            #expect(try await alice.posts.count() == 1)
            try await store.delete(post)
            #expect(try await store.count(PostEditor5.self) == 0)
            #expect(try await store.count(User5.self) == 2)
        }
    }

    @Test("@connection(fields:) and a bare @connection on a single field load the related model")
    func toOne() async throws {
        try await withStore { store in
            let team = try await store.save(Team2(name: "t"))
            let project = try await store.save(Project2(name: "p", team: team))
            #expect(project.teamID == team.id)
            #expect(try await project.team?.name == "t")
            let first = try await store.save(Team1(name: "first"))
            let other = try await store.save(Project1(name: "q", team: first))
            #expect(try await other.team == first)
        }
    }
}
