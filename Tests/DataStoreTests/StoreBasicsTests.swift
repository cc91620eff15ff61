import BlogModels
import DataStoreTestSupport
import DataStoreTesting
import Foundation
import Testing

@testable import DataStore

@Suite("Saving, querying and deleting")
struct StoreBasicsTests {
    @Test("a saved model can be queried back, by id and among all", arguments: TemporaryStorage.allCases)
    func saveAndQuery(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let post = Post(title: "My First Post", rating: 10, status: .active)
            try await store.save(post)
            #expect(try await store.query(Post.self, byID: post.id) == post)
            #expect(try await store.query(Post.self) == [post])
            #expect(try await store.query(Post.self, byID: "missing") == nil)
        }
    }

    @Test("saving a model with an existing id replaces it", arguments: TemporaryStorage.allCases)
    func saveReplaces(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            var post = Post(title: "Draft", rating: 1, status: .inactive)
            try await store.save(post)
            post.title = "Final"
            post.rating = 5
            try await store.save(post)
            #expect(try await store.query(Post.self) == [post])
            #expect(try await store.count(Post.self) == 1)
        }
    }

    @Test("every field type round-trips unchanged", arguments: TemporaryStorage.allCases)
    func everyTypeRoundTrips(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            var full = Everything()
            full.name = "Ünïcødé 🎉 \"quoted\" \\ back\nslash"
            full.count = -2_147_483_648
            full.amount = 3.141_592_653_589_793
            full.flag = false
            full.day = Temporal.Date(year: 2026, month: 2, day: 28)
            full.time = Temporal.Time(hour: 23, minute: 59, second: 58, millisecond: 7, utcOffsetSeconds: -25_200)
            full.moment = Temporal.DateTime(millisecondsSince1970: 1_764_000_000_123)
            full.timestamp = 9_007_199_254_740_993
            full.email = "ada@example.com"
            full.json = #"{"a":[1,2,{"b":null}]}"#
            full.url = "https://example.com/a/b?c=d#e"
            full.phone = "+1 206-555-0100"
            full.ip = "2001:db8::ff00:42:8329/64"
            full.status = .inactive
            full.tags = ["swift", "", "ü"]
            full.scores = [3, -1, 0]
            full.address = Address(street: "1 Main St", city: "Zürich")
            full.addresses = [Address(street: "a", city: "b", zip: "c"), Address(street: "d", city: "e")]
            let empty = Everything()
            try await store.save([full, empty])
            #expect(try await store.query(Everything.self, byID: full.id) == full)
            #expect(try await store.query(Everything.self, byID: empty.id) == empty)
        }
    }

    @Test("a batch save stores every model in one transaction", arguments: TemporaryStorage.allCases)
    func batchSave(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let posts = (0..<500).map { Post(title: "Post \($0)", rating: $0 % 10, status: .active) }
            try await store.save(posts)
            #expect(try await store.count(Post.self) == 500)
            #expect(try await store.count(Post.self, where: \.rating == 3) == 50)
        }
    }

    @Test("a batch with one invalid model writes nothing", arguments: TemporaryStorage.allCases)
    func batchSaveIsAtomic(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            var posts = (0..<10).map { Post(title: "Post \($0)", rating: $0, status: .active) }
            posts[7].rating = Int(Int32.max) + 1
            let error = await expectDataStoreError(.invalidValue) { try await store.save(posts) }
            #expect(error?.model == "Post")
            #expect(error?.field == "rating")
            let stored = try await store.count(Post.self)
            #expect(stored == 0)
        }
    }

    @Test("sorting by one or several fields, with the primary key breaking ties", arguments: TemporaryStorage.allCases)
    func sorting(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let posts = [
                Post(id: "c", title: "b", rating: 2, status: .active),
                Post(id: "a", title: "a", rating: 2, status: .inactive),
                Post(id: "b", title: "c", rating: 9, status: .active),
                Post(id: "d", title: "a", rating: 1, status: .active),
            ]
            try await store.save(posts)
            let byRating = try await store.query(Post.self, sort: .descending(\.rating)).map(\.id)
            #expect(byRating == ["b", "a", "c", "d"])
            let byTitleThenRating = try await store.query(
                Post.self,
                sort: [.ascending(\.title), .descending(\.rating)]
            )
            .map(\.id)
            #expect(byTitleThenRating == ["a", "d", "c", "b"])
        }
    }

    @Test(
        "pagination returns pages of the sorted result; without a page, all matches",
        arguments: TemporaryStorage.allCases
    )
    func pagination(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let posts = (0..<25).map { Post(id: String(format: "p%02d", $0), title: "t", rating: $0, status: .active) }
            try await store.save(posts)
            let sort: QuerySort<Post> = .ascending(\.rating)
            let first = try await store.query(Post.self, sort: sort, page: .init(index: 0, size: 10)).map(\.rating)
            let third = try await store.query(Post.self, sort: sort, page: .init(index: 2, size: 10)).map(\.rating)
            let beyond = try await store.query(Post.self, sort: sort, page: .init(index: 3, size: 10))
            #expect(first == Array(0..<10))
            #expect(third == Array(20..<25))
            #expect(beyond.isEmpty)
            #expect(try await store.query(Post.self).count == 25)
            await expectDataStoreError(.invalidQuery) {
                _ = try await store.query(Post.self, page: .init(index: 0, size: 0))
            }
            await expectDataStoreError(.invalidQuery) {
                _ = try await store.query(Post.self, page: .init(index: -1, size: 5))
            }
        }
    }

    @Test("deleting by instance, by id, by predicate and all", arguments: TemporaryStorage.allCases)
    func deleting(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let posts = (0..<6).map {
                Post(id: "p\($0)", title: "t\($0)", rating: $0, status: $0 % 2 == 0 ? .active : .inactive)
            }
            try await store.save(posts)
            #expect(try await store.delete(posts[0]) == posts[0])
            #expect(try await store.delete(posts[0]) == nil)
            #expect(try await store.delete(Post.self, byID: "p1") == posts[1])
            let inactive = try await store.delete(Post.self, where: \.status == .inactive)
            #expect(Set(inactive.map(\.id)) == ["p3", "p5"])
            #expect(Set(try await store.query(Post.self).map(\.id)) == ["p2", "p4"])
            let rest = try await store.delete(Post.self, where: .all)
            #expect(rest.count == 2)
            #expect(try await store.count(Post.self) == 0)
        }
    }

    @Test("clear removes every model of every type", arguments: TemporaryStorage.allCases)
    func clearing(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            try await store.save(Post(title: "a", rating: 1, status: .active))
            try await store.save(Comment(postID: "x", content: "hi"))
            try await store.clear()
            #expect(try await store.count(Post.self) == 0)
            #expect(try await store.count(Comment.self) == 0)
            try await store.save(Post(title: "after", rating: 1, status: .active))
            #expect(try await store.count(Post.self) == 1)
        }
    }

    @Test("a file store keeps its data across reopening")
    func persistence() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let post = Post(title: "kept", rating: 3, status: .active)
        let first = try await DataStore(models: SeedModels.self, storage: .file(at: directory.file()))
        try await first.save(post)
        await first.close()
        let second = try await DataStore(models: SeedModels.self, storage: .file(at: directory.file()))
        #expect(try await second.query(Post.self) == [post])
        await second.close()
    }

    @Test("a file open in one store is refused to a second, by any path that names it, until the first closes")
    func oneStorePerFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.file()
        let first = try await DataStore(models: SeedModels.self, storage: .file(at: file))
        try await first.save(Post(title: "kept", rating: 3, status: .active))
        let link = directory.file("link.sqlite")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: file)
        let spellings = [file, link, directory.url.appending(path: "./store.sqlite")]
        for spelling in spellings {
            await #expect {
                _ = try await DataStore(models: SeedModels.self, storage: .file(at: spelling))
            } throws: { error in
                guard let error = error as? DataStoreError else { return false }
                return error.code == .cannotOpen && error.message.contains("already open in this process")
            }
        }
        // The refusals took nothing from the store that holds the file.
        #expect(try await first.count(Post.self) == 1)
        await first.close()
        let second = try await DataStore(models: SeedModels.self, storage: .file(at: link))
        #expect(try await second.count(Post.self) == 1)
        await second.close()
    }

    @Test("a closed store refuses work with storeClosed")
    func closedStore() async throws {
        let store = try await DataStore(models: SeedModels.self, storage: .inMemory)
        await store.close()
        await expectDataStoreError(.storeClosed) { try await store.save(Post(title: "x", rating: 1, status: .active)) }
        await expectDataStoreError(.storeClosed) { _ = try await store.query(Post.self) }
        await expectDataStoreError(.storeClosed) { for try await _ in store.observe(Post.self) {} }
        await expectDataStoreError(.storeClosed) { for try await _ in store.observeQuery(Post.self) {} }
        await expectDataStoreError(.storeClosed) { try await store.delete(Post.self, where: .all) }
    }
}
