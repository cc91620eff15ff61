import BlogModels
import DataStoreTestSupport
import DataStoreTesting
import Foundation
import Testing

@testable import DataStore

@Suite("Outbox")
struct OutboxTests {
    @Test(
        "with sync enabled, each write enqueues its mutation in the same transaction",
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

            let entries = try await store.engine.outboxEntries()
            #expect(entries.map(\.kind) == [.create, .update, .create, .delete, .delete])
            #expect(entries.map(\.modelID) == ["p1", "p1", "p2", "p1", "p2"])
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
}
