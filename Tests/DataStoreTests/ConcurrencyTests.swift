import BlogModels
import DataStoreTestSupport
import DataStoreTesting
import Foundation
import Testing

@testable import DataStore

@Suite("Concurrency")
struct ConcurrencyTests {
    /// Reads events until `count` have arrived.
    static func collect(_ changes: ModelChanges<Post>, count: Int) async throws -> [MutationEvent<Post>] {
        var events: [MutationEvent<Post>] = []
        var iterator = changes.makeAsyncIterator()
        while events.count < count, let event = try await iterator.next() { events.append(event) }
        return events
    }

    @Test(
        "100 concurrent tasks saving and querying: every save visible, every event delivered once, in commit order",
        arguments: [TemporaryStorage.sqliteFile, .ephemeral]
    )
    func concurrentSaves(kind: TemporaryStorage) async throws {
        var configuration = DataStore.Configuration()
        configuration.observerBufferLimit = 100_000
        try await withStore(kind, configuration: configuration) { store in
            let tasks = 100
            let perTask = 10
            let shared = (0..<5).map { "shared\($0)" }
            let total = tasks * perTask * 2
            let first = store.observe(Post.self)
            let second = store.observe(Post.self)
            async let firstEvents = Self.collect(first, count: total)
            async let secondEvents = Self.collect(second, count: total)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<tasks {
                    group.addTask {
                        for index in 0..<perTask {
                            let post = Post(
                                id: "t\(task)-\(index)",
                                title: "task \(task)",
                                rating: index,
                                status: .active
                            )
                            try await store.save(post)
                            let mine = try await store.query(Post.self, where: \.title == "task \(task)")
                            #expect(mine.count == index + 1)
                            try await store.save(
                                Post(
                                    id: shared[(task + index) % shared.count],
                                    title: "from \(task)",
                                    rating: index,
                                    status: .inactive
                                )
                            )
                        }
                    }
                }
                try await group.waitForAll()
            }

            #expect(try await store.count(Post.self) == tasks * perTask + shared.count)
            let events = try await firstEvents
            let other = try await secondEvents
            #expect(events.count == total)
            #expect(events.map(\.model) == other.map(\.model))
            #expect(events.map(\.kind) == other.map(\.kind))
            // Exactly once: each task's own posts arrive once each, in the order the task saved them.
            for task in 0..<tasks {
                let own = events.filter { $0.model.id.hasPrefix("t\(task)-") }.map(\.model.rating)
                #expect(own == Array(0..<perTask))
            }
            // Commit order: the last event of each shared record is what the store holds.
            for id in shared {
                let last = events.last { $0.model.id == id }?.model
                #expect(last == (try await store.query(Post.self, byID: id)))
            }
        }
    }

    @Test("concurrent readers run while a writer commits")
    func readersDuringWrites() async throws {
        try await withStore(.sqliteFile) { store in
            try await store.save(
                (0..<2_000).map { Post(id: "base\($0)", title: "base", rating: $0 % 10, status: .active) }
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for batch in 0..<20 {
                        try await store.save(
                            (0..<100).map { Post(id: "w\(batch)-\($0)", title: "w", rating: 1, status: .active) }
                        )
                    }
                }
                for _ in 0..<8 {
                    group.addTask {
                        for _ in 0..<20 {
                            let count = try await store.count(Post.self, where: \.title == "base")
                            #expect(count == 2_000)
                            let written = try await store.count(Post.self, where: \.title == "w")
                            #expect(written % 100 == 0, "a reader saw a partial batch")
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test(
        "a cancelled query or write stops with cancelled, writes nothing, and leaves the store usable",
        arguments: TemporaryStorage.allCases
    )
    func cancelledOperations(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            try await store.save((0..<20_000).map { Post(title: "x\($0)", rating: $0 % 100, status: .active) })
            let cancelledFirst = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await store.query(Post.self)
            }
            await expectDataStoreError(.cancelled) { _ = try await cancelledFirst.value }
            let cancelledWrite = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                try await store.save(Post(id: "never", title: "x", rating: 1, status: .active))
            }
            await expectDataStoreError(.cancelled) { try await cancelledWrite.value }
            #expect(try await store.query(Post.self, byID: "never") == nil)

            // Cancelled while SQLite runs: either the whole result or `cancelled`, nothing else.
            for _ in 0..<5 {
                let inFlight = Task { try await store.query(Post.self, sort: .descending(\.title)) }
                await Task.yield()
                inFlight.cancel()
                do {
                    #expect(try await inFlight.value.count == 20_000)
                } catch let error as DataStoreError {
                    #expect(error.code == .cancelled)
                }
            }
            #expect(try await store.count(Post.self) == 20_000)
        }
    }
}
