// The modeling workflow end to end: schema.graphql → (DataStoreModelGenPlugin) → Post, Comment,
// PostStatus and AppModels → a store.

import DataStore
import Foundation

let directory = FileManager.default.temporaryDirectory.appending(path: "blog-example-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

let store = try await DataStore(models: AppModels.self, storage: .file(at: directory.appending(path: "blog.sqlite")))

let post = Post(title: "My First Post", rating: 10, status: .active)
try await store.save(post)
try await store.save([
    Comment(postID: post.id, content: "Nice!"),
    Comment(postID: post.id, content: "Thanks for writing this."),
])

let good = try await store.query(Post.self, where: \.rating > 4, sort: .descending(\.rating))
let comments = try await store.query(Comment.self, where: \.postID == post.id, sort: .ascending(\.content))
print("\(good.count) good post(s): \(good.map(\.title).joined(separator: ", "))")
print("\(comments.count) comment(s): \(comments.map(\.content).joined(separator: " / "))")
print("schema version \(AppModels.version.prefix(12))…")
await store.close()
