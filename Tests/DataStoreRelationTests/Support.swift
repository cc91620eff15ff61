import DataStoreTestSupport
import DataStoreTesting
import Foundation
import RelationModels
import Testing

@testable import DataStore

/// Opens a store of the relation models for one test and closes it afterwards.
@discardableResult
func withStore<T>(
    _ kind: TemporaryStorage = .sqliteFile,
    models: [any Model.Type] = AppModels.models,
    outboxEnabled: Bool = false,
    _ body: (DataStore) async throws -> T
) async throws -> T {
    try await withTestStore(kind, models: models, outboxEnabled: outboxEnabled, body)
}

/// A blog with posts and comments: `posts` posts rated 1…posts, each with `comments` comments.
struct Fixture {
    let blog: Blog
    let posts: [Post]
    let comments: [Comment]

    static func make(
        in store: DataStore,
        name: String = "blog",
        posts postCount: Int = 3,
        comments commentCount: Int = 2
    ) async throws -> Fixture {
        let blog = try await store.save(Blog(name: name))
        var posts: [Post] = []
        var comments: [Comment] = []
        for rating in 1...max(postCount, 1) where postCount > 0 {
            let post = try await store.save(Post(blog: blog, title: "\(name) post \(rating)", rating: rating))
            posts.append(post)
            for index in 0..<commentCount {
                comments.append(try await store.save(Comment(post: post, content: "\(post.title) comment \(index)")))
            }
        }
        return Fixture(blog: blog, posts: posts, comments: comments)
    }
}

extension Sequence where Element: Model {
    /// The models' identifiers as text, sorted: for order-independent comparisons.
    var keys: [String] { map { ModelKey(of: $0).description }.sorted() }
}

/// The relation models' `Comment` (GRDB, visible through `@testable import DataStore`, has one too).
typealias Comment = RelationModels.Comment
