import BlogModels
import DataStoreTestSupport
import DataStoreTesting
import Foundation
import Testing

@testable import DataStore

@Suite("Outbox", .timeLimit(.minutes(2)))
struct OutboxTests {
    @Test(
        "with sync enabled, each write enqueues its mutation in the same transaction, merged by the outbox's rules",
        arguments: TemporaryStorage.allCases
    )
    func enqueues(kind: TemporaryStorage) async throws {
        try await withStore(kind, outboxEnabled: true) { store in
            var post = Post(id: "p1", title: "t", rating: 2, status: .active)
            try await store.save(post)
            post.rating = 3
            try await store.save(post, where: \.rating == 2)
            try await store.save(Post(id: "p2", title: "t", rating: 9, status: .active))
            try await store.delete(post)
            try await store.delete(Post.self, where: \.rating > 5)

            // p1: the conditional update stands on its own, so the delete does too; p2's create
            // and delete cancel out.
            let entries = try await store.engine.outboxEntries()
            #expect(entries.map(\.kind) == [.create, .update, .delete])
            #expect(entries.map(\.modelID) == ["p1", "p1", "p1"])
            #expect(entries.map(\.sequence) == entries.map(\.sequence).sorted())
            #expect(Set(entries.map(\.sequence)).count == entries.count)
            #expect(entries.allSatisfy { $0.modelName == "Post" && !$0.inFlight })
            let payload = try FieldValue(jsonText: entries[1].payload)
            #expect(payload.objectMember("rating") == 3)
            #expect(payload.objectMember("status") == "ACTIVE")
            #expect(entries[1].condition.map { try? FieldValue(jsonText: $0) } == .some(["rating": ["eq": 2]]))
            #expect(entries[0].condition == nil)
        }
    }

    @Test(
        "a record's unsent writes merge into one entry; entries in flight or with a condition stay as they are",
        arguments: TemporaryStorage.allCases
    )
    func merges(kind: TemporaryStorage) async throws {
        try await withStore(kind, outboxEnabled: true) { store in
            func entries() async throws -> [(OutboxEntry.Kind, Int?)] {
                try await store.engine.outboxEntries().map { entry in
                    let rating = (try? FieldValue(jsonText: entry.payload))?.objectMember("rating")
                    return (
                        entry.kind, rating.flatMap { value -> Int? in if case .int(let n) = value { n } else { nil } }
                    )
                }
            }
            var post = Post(id: "p1", title: "t", rating: 1, status: .active)
            try await store.save(post)
            post.rating = 2
            try await store.save(post)
            // create + update → the create, with the update's values.
            #expect(try await entries().map(\.0) == [.create])
            #expect(try await entries().map(\.1) == [2])
            // Sent: a new write is an entry of its own, and the next one merges into it.
            try await store.engine.setOutboxInFlight(try await store.engine.outboxEntries().map(\.sequence), true)
            post.rating = 3
            try await store.save(post)
            post.rating = 4
            try await store.save(post)
            #expect(try await entries().map(\.0) == [.create, .update])
            #expect(try await entries().map(\.1) == [2, 4])
            // update + delete → delete; delete + create (the record saved anew) → update.
            try await store.delete(post)
            #expect(try await entries().map(\.0) == [.create, .delete])
            try await store.save(Post(id: "p1", title: "again", rating: 5, status: .active))
            #expect(try await entries().map(\.0) == [.create, .update])
            #expect(try await entries().map(\.1) == [2, 5])
            // A condition keeps a write apart, and what follows it too.
            post = Post(id: "p1", title: "again", rating: 6, status: .active)
            try await store.save(post, where: \.rating == 5)
            post.rating = 7
            try await store.save(post)
            #expect(try await entries().map(\.0) == [.create, .update, .update, .update])
            #expect(try await entries().map(\.1) == [2, 5, 6, 7])
            // create + delete of another record → nothing.
            try await store.save(Post(id: "p2", title: "brief", rating: 1, status: .active))
            try await store.delete(Post.self, byID: "p2")
            #expect(try await store.engine.outboxEntries().allSatisfy { $0.modelID == "p1" })
        }
    }

    @Test("a write that fails leaves no outbox entry", arguments: TemporaryStorage.allCases)
    func rollsBackWithTheWrite(kind: TemporaryStorage) async throws {
        try await withStore(kind, outboxEnabled: true) { store in
            let post = Post(id: "p1", title: "t", rating: 2, status: .active)
            await expectDataStoreError(.modelNotFound) { try await store.save(post, where: \.rating == 2) }
            try await store.save(post)
            await expectDataStoreError(.conditionNotMet) { try await store.save(post, where: \.rating == 1) }
            #expect(try await store.engine.outboxEntries().count == 1)
        }
    }

    @Test("local-only stores leave the outbox idle")
    func idleWhenLocal() async throws {
        try await withStore { store in
            try await store.save(Post(title: "t", rating: 1, status: .active))
            try await store.delete(Post.self, where: .all)
            #expect(try await store.engine.outboxEntries().isEmpty)
        }
    }

    @Test("an observer that subscribes while remote records are applied, before they commit, gets their events")
    func observerDuringReconcile() async throws {
        try await withStore(.sqliteFile, outboxEnabled: true) { store in
            func record(_ id: String, version: Int, rating: Int = 1, deleted: Bool = false) -> RemoteRecord {
                RemoteRecord(
                    values: Post(id: id, title: "v\(version)", rating: rating, status: .active).fieldValues,
                    state: RemoteRecordState(version: version, lastChangedAt: 1, isDeleted: deleted)
                )
            }
            // Nobody observes posts when each transaction begins; one subscribes before it commits.
            let subscribed = Locked<ModelChanges<Post>?>(nil)
            await store.engine.onSyncTransactionCommit {
                subscribed.withLock { changes in
                    if changes == nil { changes = store.observe(Post.self) }
                }
            }
            _ = try await store.engine.reconcile(
                [record("a", version: 1), record("b", version: 1)],
                schema: Post.schema
            )
            let changes = try #require(subscribed.withLock { $0 })
            var arrived = changes.makeAsyncIterator()
            #expect(try await arrived.next()?.model.id == "a")
            #expect(try await arrived.next()?.model.id == "b")
            // The same for the answer to a sent mutation, which applies the backend's copy.
            subscribed.withLock { $0 = nil }
            try await store.save(Post(id: "c", title: "local", rating: 1, status: .active))
            let entry = try #require(try await store.engine.outboxEntries().first { $0.modelID == "c" })
            try await store.engine.settle([
                StorageEngine.Settlement(
                    entry: entry,
                    schema: Post.schema,
                    remote: record("c", version: 1),
                    sent: nil,
                    sentVersion: nil
                )
            ])
            let late = try #require(subscribed.withLock { $0 })
            var settled = late.makeAsyncIterator()
            let change = try await settled.next()
            #expect(change?.model.id == "c" && change?.model.title == "v1" && change?.source == .remote)
            // An observer with a relation filter, subscribed the same way, gets what its filter
            // lets through, as the committed rows say.
            await store.engine.onSyncTransactionCommit(nil)
            _ = try await store.engine.reconcile(
                [record("top", version: 1, rating: 5), record("low", version: 1, rating: 1)],
                schema: Post.schema
            )
            let comments = Locked<ModelChanges<BlogModels.Comment>?>(nil)
            await store.engine.onSyncTransactionCommit {
                comments.withLock { changes in
                    if changes == nil {
                        changes = store.observe(
                            BlogModels.Comment.self,
                            where: BlogModels.Comment.post.matching(\.rating > 4)
                        )
                    }
                }
            }
            func comment(_ id: String, on post: String) -> RemoteRecord {
                RemoteRecord(
                    values: BlogModels.Comment(id: id, postID: post, content: id).fieldValues,
                    state: RemoteRecordState(version: 1, lastChangedAt: 1, isDeleted: false)
                )
            }
            _ = try await store.engine.reconcile(
                [comment("on-low", on: "low"), comment("on-top", on: "top")],
                schema: BlogModels.Comment.schema
            )
            var filtered = try #require(comments.withLock { $0 }).makeAsyncIterator()
            #expect(try await filtered.next()?.model.id == "on-top")
            await store.engine.onSyncTransactionCommit(nil)
        }
    }

    @Test("a newer remote copy that arrives while a write is on the wire wins over that write's older answer")
    func newerCopyDuringSend() async throws {
        try await withStore(.sqliteFile, outboxEnabled: true) { store in
            func record(_ id: String, _ title: String, version: Int) -> RemoteRecord {
                RemoteRecord(
                    values: Post(id: id, title: title, rating: 1, status: .active).fieldValues,
                    state: RemoteRecordState(version: version, lastChangedAt: 1, isDeleted: false)
                )
            }
            func answer(_ id: String, _ remote: RemoteRecord) async throws {
                let entry = try #require(try await store.engine.outboxEntries().first { $0.modelID == id })
                try await store.engine.settle([
                    StorageEngine.Settlement(
                        entry: entry,
                        schema: Post.schema,
                        remote: remote,
                        sent: nil,
                        sentVersion: nil
                    )
                ])
            }
            // The backend applies this store's write (version 2), then another device's (3); the
            // live change of 3 comes before the answer of 2.
            try await store.save(Post(id: "p", title: "mine", rating: 1, status: .active))
            var counts = try await store.engine.reconcile([record("p", "theirs", version: 3)], schema: Post.schema)
            #expect(counts.skipped == 1)
            try await answer("p", record("p", "mine", version: 2))
            #expect(try await store.query(Post.self, byID: "p")?.title == "theirs")
            #expect(try await store.engine.remoteState(model: "Post", modelID: "p")?.version == 3)
            // A copy put aside that is older than the answer does not win.
            try await store.save(Post(id: "q", title: "mine", rating: 1, status: .active))
            counts = try await store.engine.reconcile([record("q", "theirs", version: 2)], schema: Post.schema)
            try await answer("q", record("q", "mine, merged", version: 3))
            #expect(try await store.query(Post.self, byID: "q")?.title == "mine, merged")
            #expect(try await store.engine.remoteState(model: "Post", modelID: "q")?.version == 3)
        }
    }

    @Test("remote records apply when newer and not pending; tombstones delete, also of records never seen")
    func reconcile() async throws {
        try await withStore(.sqliteFile, outboxEnabled: true) { store in
            let schema = Post.schema
            func record(_ id: String, title: String, version: Int, deleted: Bool = false) -> RemoteRecord {
                let post = Post(id: id, title: title, rating: 1, status: .active)
                return RemoteRecord(
                    values: post.fieldValues,
                    state: RemoteRecordState(version: version, lastChangedAt: 1, isDeleted: deleted)
                )
            }
            var counts = try await store.engine.reconcile(
                [
                    record("a", title: "one", version: 1), record("a", title: "two", version: 2),
                    record("b", title: "b", version: 1),
                ],
                schema: schema
            )
            // The highest version of each record, once.
            #expect(counts.created == 2 && counts.skipped == 0)
            #expect(try await store.query(Post.self, byID: "a")?.title == "two")
            // Not newer than what is known: left alone.
            counts = try await store.engine.reconcile([record("a", title: "stale", version: 2)], schema: schema)
            #expect(counts.skipped == 1 && counts.updated == 0)
            // A record with a local write still to send: left alone (the write meets the conflict path).
            try await store.save(Post(id: "b", title: "local", rating: 1, status: .active))
            counts = try await store.engine.reconcile([record("b", title: "remote", version: 5)], schema: schema)
            #expect(counts.skipped == 1)
            #expect(try await store.query(Post.self, byID: "b")?.title == "local")
            // Tombstones: one deletes a local record, one for a record never seen changes nothing
            // but is remembered (a later create of that id goes as an update over it).
            counts = try await store.engine.reconcile(
                [
                    record("a", title: "two", version: 3, deleted: true),
                    record("ghost", title: "g", version: 4, deleted: true),
                ],
                schema: schema
            )
            #expect(counts.deleted == 1 && counts.created == 0)
            #expect(try await store.query(Post.self, byID: "a") == nil)
            #expect(try await store.engine.remoteState(model: "Post", modelID: "ghost")?.isDeleted == true)
            // An older record after a tombstone does not bring it back.
            counts = try await store.engine.reconcile([record("a", title: "zombie", version: 2)], schema: schema)
            #expect(counts.skipped == 1)
            #expect(try await store.query(Post.self, byID: "a") == nil)
        }
    }

    @Test("eviction removes what a base sync left out, unless pending or changed on the backend since it began")
    func evict() async throws {
        try await withStore(.sqliteFile, outboxEnabled: true) { store in
            let schema = Post.schema
            func record(_ id: String, changedAt: Int64) -> RemoteRecord {
                RemoteRecord(
                    values: Post(id: id, title: id, rating: 1, status: .active).fieldValues,
                    state: RemoteRecordState(version: 1, lastChangedAt: changedAt, isDeleted: false)
                )
            }
            // "kept" came in the sync; "gone" did not and is old; "fresh" changed on the backend
            // after the sync began (a write of ours that settled meanwhile); "local" waits to be
            // sent; "ghost" is metadata of a record no longer here.
            _ = try await store.engine.reconcile(
                [
                    record("kept", changedAt: 10), record("gone", changedAt: 10), record("fresh", changedAt: 100),
                    record("ghost", changedAt: 10),
                ],
                schema: schema
            )
            _ = try await store.delete(Post.self, byID: "ghost")
            for entry in try await store.engine.outboxEntries() where entry.modelID == "ghost" {
                try await store.engine.settle(entry, schema: schema, remote: nil, sent: nil, sentVersion: nil)
            }
            try await store.save(Post(id: "local", title: "unsent", rating: 1, status: .active))
            let evicted = try await store.engine.evict(schema, keeping: ["kept"], changedBefore: 100)
            #expect(evicted == 1)
            let left = try await store.query(Post.self).map(\.id).sorted()
            #expect(left == ["fresh", "kept", "local"])
            #expect(try await store.engine.remoteState(model: "Post", modelID: "gone") == nil)
            #expect(try await store.engine.remoteState(model: "Post", modelID: "fresh") != nil)
            #expect(try await store.engine.remoteState(model: "Post", modelID: "ghost") == nil)
        }
    }
}
