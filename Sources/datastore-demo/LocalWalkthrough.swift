import BlogModels
import DataStore
import Foundation

/// The local walk-through (`--local`): save, predicate queries, observe, delete — no server.
struct LocalWalkthrough {
    /// The store file; a new one in a temporary directory when nil.
    let store: String?
    /// Whether to keep the store file afterwards.
    let keep: Bool

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "datastore-demo-\(UUID().uuidString)")
        let path = store ?? directory.appending(path: "blog.sqlite").path
        if store == nil { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        defer { if store == nil && !keep { try? FileManager.default.removeItem(at: directory) } }

        print("swift-datastore demo: a local store, no account, no network")
        print("Store: \(path)\n")
        let store = try await DataStore(models: AppModels.self, storage: .file(atPath: path))
        try await store.delete(Post.self, where: .all)

        section("1. Observe changes to posts")
        let changes = store.observe(Post.self)
        let observer = Task {
            var lines: [String] = []
            // The sequence ends when the store closes.
            for try await change in changes {
                lines.append(
                    "\(change.kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(change.model.title)"
                )
            }
            return lines
        }
        print("Listening; the events are printed in step 7, after the store closes.\n")

        section("2. Save posts")
        var first = Post(title: "My First Post", rating: 10, status: .active)
        let posts = [
            first,
            Post(title: "Swift on the server", rating: 8, status: .active),
            Post(title: "Notes on SQLite", rating: 4, status: .inactive),
            Post(title: "Swift concurrency", rating: 2, status: .active),
            Post(title: "An old draft", rating: 1, status: .inactive),
        ]
        try await store.save(posts)
        for post in posts { print("saved  \(describe(post))") }
        print()

        section("3. Query with predicates")
        show(
            "rating > 4, best first",
            try await store.query(Post.self, where: \.rating > 4, sort: .descending(\.rating))
        )
        show(
            "rating > 4 and status == ACTIVE (result builder)",
            try await store.query(Post.self, sort: .ascending(\.title)) {
                \.rating > 4
                \.status == .active
            }
        )
        show(
            "title begins with \"Swift\" or rating between 1 and 3",
            try await store.query(Post.self, sort: .ascending(\.title)) {
                Or {
                    QueryPredicate.beginsWith(\.title, "Swift")
                    QueryPredicate.between(\.rating, 1, 3)
                }
            }
        )
        show("first page of 2, by title", try await store.query(Post.self, sort: .ascending(\.title), page: .first(2)))

        section("4. Update and conditional save")
        first.title = "My First Post (edited)"
        try await store.save(first, where: \.rating > 3)
        print("saved the edit, because the stored post has rating > 3")
        do {
            var again = first
            again.rating = 0
            try await store.save(again, where: \.rating < 3)
        } catch {
            print("refused: \(error.code) — \(error.message)")
        }
        print()

        section("5. Live query snapshots")
        var snapshots = store.observeQuery(Post.self, where: \.status == .active, sort: .descending(\.rating))
            .makeAsyncIterator()
        if let snapshot = try await snapshots.next() {
            print("active posts now: \(snapshot.items.map(\.title).joined(separator: ", "))")
        }
        try await store.save(Post(title: "Fresh post", rating: 7, status: .active))
        if let snapshot = try await snapshots.next() {
            print("after saving one: \(snapshot.items.map(\.title).joined(separator: ", "))")
        }
        print()

        section("6. Delete")
        let inactive = try await store.delete(Post.self, where: \.status == .inactive)
        print("deleted \(inactive.count) inactive posts: \(inactive.map(\.title).joined(separator: ", "))")
        print("\(try await store.count(Post.self)) posts remain\n")

        await store.close()
        section("7. What the observer saw, in commit order")
        for line in try await observer.value { print(line) }
        print()
        if self.store != nil || keep { print("The store is kept at \(path).") }
    }

    private func section(_ title: String) {
        print(title)
        print(String(repeating: "-", count: title.count))
    }

    private func describe(_ post: Post) -> String {
        "\"\(post.title)\" (rating \(post.rating), \(post.status.rawValue))"
    }

    private func show(_ title: String, _ posts: [Post]) {
        print("\(title):")
        for post in posts {
            print("  \(String(post.rating).padding(toLength: 3, withPad: " ", startingAt: 0)) \(post.title)")
        }
        print()
    }
}
