import DataStore
import Foundation
import Testing

@testable import DataStoreServer

/// What every ``ItemStore`` promises the data source and the hub, checked on each store kind.
@Suite("Item stores")
struct ItemStoreTests {
    static func item(_ id: String, version: Int = 1, deleted: Bool = false, at time: Int64 = 1_000) -> StoredItem {
        StoredItem(
            fields: ["id": .string(id), "title": "T"],
            version: version,
            isDeleted: deleted,
            lastChangedAt: time
        )
    }

    /// Writes `id` at `version` over the version before it (over nothing, for version 1).
    @discardableResult
    static func write(
        _ store: any ItemStore,
        _ id: String,
        model: String = "Post",
        version: Int = 1,
        deleted: Bool = false,
        at time: Int64 = 1_000
    ) async throws -> Bool {
        let item = item(id, version: version, deleted: deleted, at: time)
        return try await store.commit(model, key: id, expecting: version == 1 ? nil : version - 1, item: item)
    }

    @Test(
        "a commit happens only at the expected version; items read back exactly",
        arguments: ServerStoreKind.available
    )
    func conditionalCommits(kind: ServerStoreKind) async throws {
        try await withServerStore(kind) { store in
            #expect(try await store.item("Post", key: "p") == nil)
            let fields: [String: FieldValue] = [
                "id": "p", "title": "Grüße 😀 \"quoted\" \\ \n", "count": .int(9_007_199_254_740_993),
                "ratio": .double(0.1), "none": .null, "flag": true, "tags": ["a", .int(1)],
                "nested": .object(["deep": ["x": "y"]]),
            ]
            let first = StoredItem(fields: fields, version: 1, isDeleted: false, lastChangedAt: 1_790_000_000_123)
            #expect(try await store.commit("Post", key: "p", expecting: nil, item: first))
            #expect(try await store.item("Post", key: "p") == first)
            // Another create, or a write at a version that is not stored, changes nothing.
            #expect(try await !store.commit("Post", key: "p", expecting: nil, item: Self.item("p", version: 9)))
            #expect(try await !store.commit("Post", key: "p", expecting: 2, item: Self.item("p", version: 9)))
            let second = Self.item("p", version: 2, deleted: true, at: 2_000)
            #expect(try await store.commit("Post", key: "p", expecting: 1, item: second))
            #expect(try await store.item("Post", key: "p") == second)
            // Keys are per model.
            #expect(try await store.item("Comment", key: "p") == nil)
            let log = try await store.log(after: 0, limit: 10)
            #expect(log.map(\.item) == [first, second])
        }
    }

    @Test(
        "items come in the keys' byte order, a page at a time, one model at a time",
        arguments: ServerStoreKind.available
    )
    func keyOrder(kind: ServerStoreKind) async throws {
        try await withServerStore(kind) { store in
            let keys = ["b", "a", "B", "é", "aa", "z", "Ω", "😀", "a b", "a#1", "A", "0", "_"]
            for key in keys { #expect(try await Self.write(store, key)) }
            #expect(try await Self.write(store, "c", model: "Comment"))
            var read: [String] = []
            var after: String?
            repeat {
                let page = try await store.items("Post", after: after, limit: 4)
                read += page.map(\.key)
                after = page.count == 4 ? page.last?.key : nil
            } while after != nil
            #expect(read == keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        }
    }

    @Test(
        "the log grows in commit order; delta reads filter by model and time and resume after a position",
        arguments: ServerStoreKind.available
    )
    func log(kind: ServerStoreKind) async throws {
        try await withServerStore(kind) { store in
            for (index, time) in [1_000, 2_000, 3_000].enumerated() {
                try await Self.write(store, "p\(index)", at: Int64(time))
            }
            try await Self.write(store, "c", model: "Comment", at: 2_500)
            try await Self.write(store, "p0", version: 2, at: 4_000)
            let log = try await store.log(after: 0, limit: 100)
            #expect(log.map(\.model) == ["Post", "Post", "Post", "Comment", "Post"])
            #expect(log.map { $0.item.fields["id"] } == ["p0", "p1", "p2", "c", "p0"])
            #expect(zip(log, log.dropFirst()).allSatisfy { $0.position < $1.position })
            #expect(
                try await store.log(after: log[1].position, limit: 2).map(\.position) == [
                    log[2].position, log[3].position,
                ]
            )

            let recent = try await store.changes("Post", since: 2_000, after: 0, limit: 100)
            #expect(recent.map { $0.item.fields["id"] } == ["p1", "p2", "p0"])
            let rest = try await store.changes("Post", since: 0, after: recent[0].position, limit: 1)
            #expect(rest.map { $0.item.fields["id"] } == ["p2"])

            // A reader starting now sees the writes from now on.
            let now = try await store.lastPosition()
            #expect(try await store.log(after: now, limit: 100).isEmpty)
            try await Self.write(store, "late", at: 5_000)
            #expect(try await store.log(after: now, limit: 100).map { $0.item.fields["id"] } == ["late"])
        }
    }

    @Test(
        "purging removes expired tombstones and older log records, nothing else",
        arguments: ServerStoreKind.available
    )
    func purge(kind: ServerStoreKind) async throws {
        try await withServerStore(kind) { store in
            try await Self.write(store, "old", at: 1_000)
            try await Self.write(store, "old", version: 2, deleted: true, at: 1_500)
            try await Self.write(store, "new", at: 1_000)
            try await Self.write(store, "new", version: 2, deleted: true, at: 3_000)
            try await Self.write(store, "live", at: 500)
            try await store.purge(tombstonesBefore: 2_000, changesBefore: 1_200)
            #expect(try await store.items("Post", after: nil, limit: 10).map(\.key) == ["live", "new"])
            let log = try await store.log(after: 0, limit: 10)
            #expect(log.map(\.item.lastChangedAt) == [1_500, 3_000])
        }
    }

    @Test(
        "writers racing on one item: each commit lands once, versions stay linear",
        arguments: ServerStoreKind.available
    )
    func racingWriters(kind: ServerStoreKind) async throws {
        try await withServerStore(kind) { store in
            try await Self.write(store, "p")
            let (writers, writes) = (8, 20)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<writers {
                    group.addTask {
                        for _ in 0..<writes {
                            while true {
                                let current = try #require(try await store.item("Post", key: "p"))
                                let next = Self.item("p", version: current.version + 1)
                                if try await store.commit("Post", key: "p", expecting: current.version, item: next) {
                                    break
                                }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.item("Post", key: "p")?.version == 1 + writers * writes)
            let versions = try await store.changes("Post", since: 0, after: 0, limit: 1_000).map(\.item.version)
            #expect(versions == Array(1...(1 + writers * writes)))
        }
    }

    @Test(
        "followers are rung when they start and after every commit",
        .timeLimit(.minutes(1)),
        arguments: ServerStoreKind.available
    )
    func followers(kind: ServerStoreKind) async throws {
        try await withServerStore(kind) { store in
            // Two followers, each with its own rings; a test of a few commits keeps a few.
            let streams = (0..<2).map { _ in AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(8))
            }
            try await withThrowingDiscardingTaskGroup { group in
                for (_, continuation) in streams {
                    group.addTask { try await store.followCommits { continuation.yield() } }
                }
                var iterators = streams.map { $0.stream.makeAsyncIterator() }
                // The first ring comes when following starts; then one per commit, waited for
                // before the next so none coalesce. A missing ring hangs until the time limit.
                for index in 0...3 {
                    if index > 0 { try await Self.write(store, "p\(index)") }
                    for follower in iterators.indices { #expect(await iterators[follower].next() != nil) }
                }
                group.cancelAll()
            }
        }
    }
}
