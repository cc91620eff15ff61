import DataStoreTestSupport
import Foundation
import RelationModels
import Testing

@testable import DataStore

/// The examples of Docs/Relations.md, as written there, with what the guide says they do.
@Suite("Relations guide examples")
struct GuideExampleTests {
    @Test("saving, loading, predicates across relations and cascades behave as the guide says")
    func guide() async throws {
        try await withStore { store in
            // Saving
            let blog = try await store.save(Blog(name: "Swift on the server"))
            let post = try await store.save(Post(blog: blog, title: "Actors", rating: 5))
            try await store.save(Comment(post: post, content: "Nice"))
            try await store.save(Comment(postID: post.id, content: "Also nice"))
            let swift = try await store.save(Tag(label: "swift"))
            try await store.save(PostTags(post: post, tag: swift))
            let quiet = try await store.save(Post(blog: blog, title: "Quiet", rating: 2))

            // Loading
            let id = try #require(try await store.query(Comment.self).first?.id)
            let comment = try await store.query(Comment.self, byID: id)!
            #expect(try await comment.post == post)
            #expect(try await comment.post.blog == blog)
            let all = try await post.comments.fetch()
            #expect(Set(all.map(\.content)) == ["Nice", "Also nice"])
            let liked = try await post.comments.fetch(
                where: \.content != "",
                sort: .descending(\.content),
                page: .first(20)
            )
            #expect(liked.map(\.content) == ["Nice", "Also nice"])
            #expect(try await post.comments.first(sort: .ascending(\.content))?.content == "Also nice")
            #expect(try await post.comments.count() == 2)
            var iterated = 0
            for try await _ in post.comments { iterated += 1 }
            for try await _ in post.comments.paged(by: 500) { iterated += 1 }
            #expect(iterated == 4)
            #expect(try await store.count(Comment.self, where: post.comments.predicate) == 2)

            // Predicates across relations
            #expect(try await store.query(Comment.self, where: Comment.post.matching(\.rating > 4)).count == 2)
            let built = try await store.query(Comment.self) {
                \.content != ""
                Comment.post {
                    \.rating > 4
                    Post.blog { \.name == "Swift on the server" }
                }
            }
            #expect(built.count == 2)
            try await store.save(Comment(post: quiet, content: "Swift is nice"))
            let mentioning = try await store.query(
                Post.self,
                where: Post.comments.matching(.contains(\.content, "Swift"))
            )
            #expect(mentioning == [quiet])
            let silent = try await store.save(Post(blog: blog, title: "Silent", rating: 1))
            #expect(try await store.query(Post.self, where: !Post.comments.matching(.all)) == [silent])
            let tagged = try await store.query(
                Post.self,
                where: Post.tags.matching(PostTags.tag.matching(\.label == "swift"))
            )
            #expect(tagged == [post])

            // Cascade delete: the blog takes its posts, their comments and join rows; the tag stays.
            try await store.delete(blog)
            for count in [
                try await store.count(Post.self), try await store.count(Comment.self),
                try await store.count(PostTags.self),
            ] {
                #expect(count == 0)
            }
            #expect(try await store.query(Tag.self) == [swift])
        }
    }

    @Test("composite keys as the guide shows them")
    func compositeKeys() async throws {
        try await withStore { store in
            let customer = try await store.save(Customer(email: "c@example.com", name: "C"))
            let order = try await store.save(Order(customer: customer, number: 7, total: 10))
            try await store.save(Order(customer: customer, number: 8, total: 1))
            let found = try await store.query(
                Order.self,
                byIdentifier: Order.identifier(customerEmail: "c@example.com", number: 7)
            )
            #expect(found == order)
            #expect(try await store.delete(Order.self, byIdentifier: order.identifier) == order)
            #expect(try await store.query(Order.self).map(\.number) == [8])
        }
    }
}
