import DataStore
import DataStoreAppSync
import DataStoreTestSupport
import DataStoreTesting
import Foundation
import Testing

@testable import DataStoreServer

@Suite("Sync and list reads")
struct SyncReadTests {
    /// Reads every page of a sync, checking that `startedAt` stays that of the first page.
    static func syncAll(
        _ dataSource: DataSource,
        filter: FieldValue? = nil,
        limit: Int? = nil,
        lastSync: Int64? = nil,
        clock: ManualClock? = nil
    ) async throws -> (items: [FieldValue], pages: Int, startedAt: Int64?) {
        var items: [FieldValue] = []
        var token: String?
        var pages = 0
        var startedAt: Int64?
        repeat {
            let page = try await dataSource.sync(
                "Post",
                filter: filter,
                limit: limit,
                nextToken: token,
                lastSync: lastSync
            )
            if pages == 0 { startedAt = page.startedAt } else { #expect(page.startedAt == startedAt) }
            items += page.items
            token = page.nextToken
            pages += 1
            clock?.advance(by: .seconds(1))
        } while token != nil
        return (items, pages, startedAt)
    }

    static func ids(_ items: [FieldValue]) -> Set<String> {
        Set(items.compactMap { if case .string(let id)? = $0["id"] { id } else { nil } })
    }

    @Test(
        "a base sync pages through every item once, with startedAt fixed by the first page",
        arguments: ServerStoreKind.available
    )
    func basePaging(kind: ServerStoreKind) async throws {
        let clock = ManualClock()
        try await withDataSource(kind, clock: clock) { dataSource in
            for index in 0..<250 {
                _ = try await dataSource.create(
                    "Post",
                    input: ["id": .string("p\(index)"), "title": "T", "rating": .int(index)]
                )
            }
            let start = clock.millisecondsSince1970
            let result = try await Self.syncAll(dataSource, clock: clock)
            #expect(result.items.count == 250 && Self.ids(result.items).count == 250)
            #expect(result.pages == 3 && result.startedAt == start)
            #expect(try await Self.syncAll(dataSource, limit: 1_000).pages == 1)
        }
    }

    @Test(
        "a filter applies to each page; limit counts items read, so pages may be short",
        arguments: ServerStoreKind.available
    )
    func filteredPaging(kind: ServerStoreKind) async throws {
        try await withDataSource(kind) { dataSource in
            // Eight writers at a time, as a server sees them.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        for index in stride(from: writer, to: 10_000, by: 8) {
                            _ = try await dataSource.create(
                                "Post",
                                input: [
                                    "id": .string(String(format: "p%05d", index)), "title": "T",
                                    "rating": .int(index % 10),
                                ]
                            )
                        }
                    }
                }
                try await group.waitForAll()
            }
            let filter: FieldValue = ["and": [["rating": ["ge": 7]], ["title": ["beginsWith": "T"]]]]
            let result = try await Self.syncAll(dataSource, filter: filter, limit: 1_000)
            #expect(result.pages == 11)  // ten full pages read, then an empty last one
            #expect(result.items.count == 3_000)
            #expect(result.items.allSatisfy { if case .int(let rating)? = $0["rating"] { rating >= 7 } else { false } })
            #expect(Self.ids(result.items).count == 3_000)
        }
    }

    @Test(
        "bad paging input is refused: limits out of range, tampered or foreign tokens",
        arguments: ServerStoreKind.available
    )
    func badPaging(kind: ServerStoreKind) async throws {
        try await withDataSource(kind) { dataSource in
            for index in 0..<3 {
                _ = try await dataSource.create("Post", input: ["id": .string("p\(index)"), "title": "T"])
            }
            for limit in [0, -1, 1_001] {
                await expectServerError(.badRequest) { _ = try await dataSource.sync("Post", limit: limit) }
            }
            let token = try #require(try await dataSource.sync("Post", limit: 1).nextToken)
            var tampered = Array(token)
            tampered[3] = tampered[3] == "A" ? "B" : "A"
            for bad in [String(tampered), token + "x", "", "not a token", String(token.reversed())] {
                await expectServerError(.badRequest) { _ = try await dataSource.sync("Post", limit: 1, nextToken: bad) }
            }
            // A token continues only the query it came from.
            await expectServerError(.badRequest) {
                _ = try await dataSource.sync("Post", filter: ["title": ["eq": "T"]], limit: 1, nextToken: token)
            }
            await expectServerError(.badRequest) { _ = try await dataSource.sync("Order", limit: 1, nextToken: token) }
            await expectServerError(.badRequest) { _ = try await dataSource.list("Post", limit: 1, nextToken: token) }
            // A token signed by another server is not accepted either.
            let other = try makeDataSource()
            await expectServerError(.badRequest) { _ = try await other.sync("Post", limit: 1, nextToken: token) }
            let next = try await dataSource.sync("Post", limit: 1, nextToken: token)
            #expect(next.items.count == 1)
        }
    }

    @Test(
        "a delta sync returns the writes since lastSync; a lastSync older than the delta TTL gets a base sync",
        arguments: ServerStoreKind.available
    )
    func delta(kind: ServerStoreKind) async throws {
        let clock = ManualClock()
        try await withDataSource(kind, clock: clock) { dataSource in
            for index in 0..<3 {
                _ = try await dataSource.create("Post", input: ["id": .string("p\(index)"), "title": "T"])
            }
            clock.advance(by: .seconds(10))
            let lastSync = clock.millisecondsSince1970
            clock.advance(by: .seconds(10))
            _ = try await dataSource.update("Post", input: ["id": "p0", "_version": 1, "title": "Changed"])
            _ = try await dataSource.delete("Post", input: ["id": "p1", "_version": 1])
            let changes = try await Self.syncAll(dataSource, lastSync: lastSync).items
            #expect(changes.count == 2)
            #expect(changes.contains { $0["id"] == "p0" && $0["title"] == "Changed" && $0["_version"] == 2 })
            #expect(changes.contains { $0["id"] == "p1" && $0["_deleted"] == true })

            // The delta log covers 30 minutes: at exactly the boundary it is still a delta...
            clock.advance(by: .seconds(30 * 60 - 10))  // lastSync was 10 s ago
            #expect(try await Self.syncAll(dataSource, lastSync: lastSync).items.count == 2)
            // ...one millisecond later the client gets everything, tombstone included.
            clock.advance(by: .milliseconds(1))
            let base = try await Self.syncAll(dataSource, lastSync: lastSync).items
            #expect(Self.ids(base) == ["p0", "p1", "p2"])
        }
    }

    @Test(
        "tombstones leave base syncs after their TTL and are purged with expired deltas",
        arguments: ServerStoreKind.available
    )
    func expiry(kind: ServerStoreKind) async throws {
        let clock = ManualClock()
        try await withDataSource(kind, clock: clock) { dataSource in
            _ = try await dataSource.create("Post", input: ["id": "gone", "title": "T"])
            _ = try await dataSource.create("Post", input: ["id": "kept", "title": "T"])
            _ = try await dataSource.delete("Post", input: ["id": "gone", "_version": 1])
            clock.advance(by: .seconds(30 * 24 * 60 * 60))
            #expect(Self.ids(try await Self.syncAll(dataSource).items) == ["gone", "kept"])
            clock.advance(by: .milliseconds(1))
            #expect(Self.ids(try await Self.syncAll(dataSource).items) == ["kept"])
            // listX still shows the tombstone until it is purged.
            #expect(Self.ids(try await dataSource.list("Post").items) == ["gone", "kept"])
            try await dataSource.purgeExpired()
            #expect(Self.ids(try await dataSource.list("Post").items) == ["kept"])
            #expect(try await dataSource.store.changes("Post", since: 0, after: 0, limit: 10).isEmpty)
            // The key is free again.
            #expect(try await dataSource.create("Post", input: ["id": "gone", "title": "Back"])["_version"] == 1)
        }
    }

    @Test("a restart on the same database loses nothing, and its tokens still work")
    func restart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("server.sqlite").path
        let clock = ManualClock()
        let first = try makeDataSource(path: path, clock: clock)
        for index in 0..<5 { _ = try await first.create("Post", input: ["id": .string("p\(index)"), "title": "T"]) }
        _ = try await first.update("Post", input: ["id": "p0", "_version": 1, "title": "U"])
        let token = try #require(try await first.sync("Post", limit: 2).nextToken)
        await first.store.close()

        let second = try makeDataSource(path: path, clock: clock)
        #expect(try await second.get("Post", key: ["id": "p0"])?["_version"] == 2)
        let rest = try await second.sync("Post", limit: 10, nextToken: token)
        #expect(rest.items.count == 3)
        #expect(try await second.store.changes("Post", since: 0, after: 0, limit: 10).count == 6)
    }
}
