import DataStore
import DataStoreAppSync
import DataStoreSchema
import DataStoreTestSupport
import DataStoreTesting
import Foundation
import Testing

@testable import DataStoreServer

let testSchema = """
    enum Status { DRAFT PUBLISHED }
    type Post @model {
      id: ID!
      title: String!
      rating: Int
      status: Status
      tags: [String]
      publishedAt: AWSDateTime
      comments: [Comment] @hasMany
    }
    type Comment @model {
      id: ID!
      content: String!
      post: Post @belongsTo
    }
    type Order @model {
      customerEmail: String! @primaryKey(sortKeyFields: ["number"])
      number: Int!
      total: Float!
    }
    """

/// A data source over `store` (by default a fresh in-memory or file SQLite store), with a clock the
/// test controls.
func makeDataSource(
    schema: String = testSchema,
    path: String? = nil,
    store: (any ItemStore)? = nil,
    clock: ManualClock = ManualClock(),
    configuration: ServerConfiguration = ServerConfiguration(),
    configure: (inout ServerConfiguration) -> Void = { _ in }
) throws -> DataSource {
    var configuration = configuration
    configuration.clock = clock
    configure(&configuration)
    return DataSource(
        document: try SchemaParser.parse(schema),
        store: try store ?? SQLiteItemStore(path: path),
        configuration: configuration
    )
}

/// Runs `body`, expecting a ``AppSyncError`` of `type`; returns it.
@discardableResult
func expectServerError(
    _ type: AppSyncErrorType,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async -> AppSyncError? {
    await expectError(
        AppSyncError.self,
        "\(type)",
        sourceLocation: sourceLocation,
        matching: { $0.errorType == type },
        body
    )
}

extension FieldValue {
    subscript(_ name: String) -> FieldValue? {
        if case .object(let members) = self { return members[name] }
        return nil
    }

    subscript(_ index: Int) -> FieldValue? {
        guard case .list(let values) = self, values.indices.contains(index) else { return nil }
        return values[index]
    }
}

@Suite("Versioned writes, conflicts and sync reads")
struct DataSourceTests {
    @Test("create stores version 1 with timestamps and metadata; get returns it", arguments: ServerStoreKind.available)
    func create(kind: ServerStoreKind) async throws {
        let clock = ManualClock()
        try await withDataSource(kind, clock: clock) { dataSource in
            let post = try await dataSource.create(
                "Post",
                input: ["title": "Hello", "publishedAt": "2026-05-01T12:00:00Z"]
            )
            #expect(post["_version"] == 1)
            #expect(post["_deleted"] == .null)
            #expect(post["_lastChangedAt"] == .int(Int(clock.millisecondsSince1970)))
            #expect(post["__typename"] == "Post")
            #expect(
                post["createdAt"]
                    == .string(Temporal.DateTime(millisecondsSince1970: clock.millisecondsSince1970)!.iso8601String)
            )
            #expect(post["updatedAt"] == post["createdAt"])
            // Date-times are kept in the form the client compares by.
            #expect(post["publishedAt"] == "2026-05-01T12:00:00.000Z")
            guard case .string(let id)? = post["id"] else {
                Issue.record("no id")
                return
            }
            #expect(UUID(uuidString: id) != nil)
            #expect(try await dataSource.get("Post", key: ["id": .string(id)]) == post)
            #expect(try await dataSource.get("Post", key: ["id": "missing"]) == nil)
        }
    }

    @Test(
        "create refuses a taken key, a false condition and input that does not fit, changing nothing",
        arguments: ServerStoreKind.available
    )
    func createRefusals(kind: ServerStoreKind) async throws {
        try await withDataSource(kind) { dataSource in
            let post = try await dataSource.create("Post", input: ["id": "p1", "title": "One"])
            await expectServerError(.conditionalCheckFailed) {
                _ = try await dataSource.create("Post", input: ["id": "p1", "title": "Again"])
            }
            await expectServerError(.conditionalCheckFailed) {
                _ = try await dataSource.create(
                    "Post",
                    input: ["id": "p2", "title": "x"],
                    condition: ["title": ["eq": "x"]]
                )
            }
            for input: [String: FieldValue] in [
                ["id": "p3"],  // missing required title
                ["id": "p3", "title": 5],  // wrong type
                ["id": "p3", "title": "t", "colour": "red"],  // unknown field
                ["id": "p3", "title": "t", "status": "LOST"],  // not an enum value
                ["id": "p3", "title": "t", "publishedAt": "yesterday"],
                ["id": "", "title": "t"],  // empty key
            ] {
                await expectServerError(.badRequest) { _ = try await dataSource.create("Post", input: input) }
            }
            await expectServerError(.badRequest) {
                _ = try await dataSource.create("Post", input: ["title": "t"], condition: ["colour": ["eq": "red"]])
            }
            await expectServerError(.badRequest) { _ = try await dataSource.create("Ghost", input: ["id": "g"]) }
            let all = try await dataSource.list("Post").items
            #expect(all == [post])
        }
    }

    @Test(
        "update applies fields at the stored version, removes explicit nulls and bumps the version",
        arguments: ServerStoreKind.available
    )
    func update(kind: ServerStoreKind) async throws {
        let clock = ManualClock()
        try await withDataSource(kind, clock: clock) { dataSource in
            _ = try await dataSource.create("Post", input: ["id": "p", "title": "One", "rating": 3, "status": "DRAFT"])
            clock.advance(by: .seconds(5))
            let updated = try await dataSource.update(
                "Post",
                input: ["id": "p", "_version": 1, "title": "Two", "rating": .null],
                condition: ["status": ["eq": "DRAFT"]]
            )
            #expect(updated["_version"] == 2 && updated["title"] == "Two" && updated["rating"] == .null)
            #expect(updated["status"] == "DRAFT")
            #expect(updated["_lastChangedAt"] == .int(Int(clock.millisecondsSince1970)))
            #expect(updated["updatedAt"] != updated["createdAt"])
            await expectServerError(.conditionalCheckFailed) {
                _ = try await dataSource.update(
                    "Post",
                    input: ["id": "p", "_version": 2, "title": "x"],
                    condition: ["rating": ["gt": 1]]
                )
            }
            await expectServerError(.conditionalCheckFailed) {
                _ = try await dataSource.update("Post", input: ["id": "nope", "_version": 1, "title": "x"])
            }
            await expectServerError(.badRequest) {
                _ = try await dataSource.update("Post", input: ["id": "p", "_version": 2, "title": .null])
            }
            #expect(try await dataSource.get("Post", key: ["id": "p"]) == updated)
        }
    }

    @Test(
        "delete leaves a tombstone one version up; a stale or repeated delete is ConflictUnhandled with the item",
        arguments: ServerStoreKind.available
    )
    func delete(kind: ServerStoreKind) async throws {
        try await withDataSource(kind) { dataSource in
            _ = try await dataSource.create("Post", input: ["id": "p", "title": "One"])
            let stale = await expectServerError(.conflictUnhandled) {
                _ = try await dataSource.delete("Post", input: ["id": "p"])
            }
            #expect(stale?.data?["_version"] == 1)
            let deleted = try await dataSource.delete("Post", input: ["id": "p", "_version": 1])
            #expect(deleted["_deleted"] == true && deleted["_version"] == 2)
            #expect(try await dataSource.get("Post", key: ["id": "p"]) == deleted)
            await expectServerError(.conflictUnhandled) {
                _ = try await dataSource.delete("Post", input: ["id": "p", "_version": 2])
            }
            await expectServerError(.conditionalCheckFailed) {
                _ = try await dataSource.delete("Post", input: ["id": "x", "_version": 1])
            }
            // A tombstone's key stays taken; an update over a stale version of it conflicts, and one
            // over its own version (a client that saw the deletion) brings it back.
            await expectServerError(.conditionalCheckFailed) {
                _ = try await dataSource.create("Post", input: ["id": "p", "title": "Again"])
            }
            await expectServerError(.conflictUnhandled) {
                _ = try await dataSource.update("Post", input: ["id": "p", "_version": 1, "title": "Back"])
            }
            let back = try await dataSource.update("Post", input: ["id": "p", "_version": 2, "title": "Back"])
            #expect(back["_deleted"] != true && back["_version"] == 3 && back["title"] == "Back")
        }
    }

    @Test("OPTIMISTIC_CONCURRENCY rejects a stale update with the server's item", arguments: ServerStoreKind.available)
    func optimistic(kind: ServerStoreKind) async throws {
        var configuration = ServerConfiguration()
        configuration.defaultStrategy = .optimisticConcurrency
        try await withDataSource(kind, configuration: configuration) { dataSource in
            _ = try await dataSource.create("Post", input: ["id": "p", "title": "One"])
            _ = try await dataSource.update("Post", input: ["id": "p", "_version": 1, "title": "Two"])
            let error = await expectServerError(.conflictUnhandled) {
                _ = try await dataSource.update("Post", input: ["id": "p", "_version": 1, "title": "Stale"])
            }
            #expect(error?.message == "Conflict resolver rejects mutation.")
            #expect(
                error?.data?["_version"] == 2 && error?.data?["title"] == "Two" && error?.data?["__typename"] == "Post"
            )
            #expect(try await dataSource.get("Post", key: ["id": "p"])?["title"] == "Two")
        }
    }

    @Test(
        "AUTOMERGE keeps the server's scalars, fills its nulls and concatenates lists",
        arguments: ServerStoreKind.available
    )
    func automerge(kind: ServerStoreKind) async throws {
        try await withDataSource(kind) { dataSource in
            _ = try await dataSource.create("Post", input: ["id": "p", "title": "One", "tags": ["a"]])
            _ = try await dataSource.update("Post", input: ["id": "p", "_version": 1, "title": "Two"])
            let merged = try await dataSource.update(
                "Post",
                input: ["id": "p", "_version": 1, "title": "Stale", "rating": 4, "tags": ["b"]]
            )
            #expect(merged["_version"] == 3)
            #expect(merged["title"] == "Two" && merged["rating"] == 4 && merged["tags"] == ["a", "b"])
        }
    }

    @Test("two writers on one record: every write lands, versions stay linear", arguments: ServerStoreKind.available)
    func concurrentWriters(kind: ServerStoreKind) async throws {
        try await withDataSource(kind) { dataSource in
            _ = try await dataSource.create("Post", input: ["id": "p", "title": "One", "tags": []])
            // Every writer sends the version it first saw, so all but the first conflict and merge.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<2 {
                    group.addTask {
                        for index in 0..<25 {
                            _ = try await dataSource.update(
                                "Post",
                                input: ["id": "p", "_version": 1, "tags": [.string("\(writer)-\(index)")]]
                            )
                        }
                    }
                }
                try await group.waitForAll()
            }
            let final = try #require(try await dataSource.get("Post", key: ["id": "p"]))
            #expect(final["_version"] == 51)
            guard case .list(let tags)? = final["tags"] else {
                Issue.record("no tags")
                return
            }
            #expect(Set(tags).count == 50)
            // The delta log holds each version once, in order.
            let changes = try await dataSource.store.changes("Post", since: 0, after: 0, limit: 100)
            #expect(changes.map(\.item.version) == Array(1...51))
        }
    }

    @Test("CUSTOM: a handler resolves, rejects or removes", arguments: ServerStoreKind.available)
    func custom(kind: ServerStoreKind) async throws {
        let decisions = Locked<[ConflictResolution]>([
            .resolve(["id": "ignored", "title": "Resolved"]), .reject, .remove,
        ])
        let requests = Locked<[ConflictRequest]>([])
        var configuration = ServerConfiguration()
        configuration.strategies["Post"] = .custom { request in
            requests.withLock { $0.append(request) }
            return decisions.withLock { $0.removeFirst() }
        }
        try await withDataSource(kind, configuration: configuration) { dataSource in
            _ = try await dataSource.create("Post", input: ["id": "p", "title": "One"])
            _ = try await dataSource.update("Post", input: ["id": "p", "_version": 1, "title": "Two"])
            let resolved = try await dataSource.update("Post", input: ["id": "p", "_version": 1, "title": "Stale"])
            #expect(resolved["title"] == "Resolved" && resolved["id"] == "p" && resolved["_version"] == 3)
            let first = try #require(requests.withLock { $0.first })
            #expect(
                first.existingItem["title"] == "Two" && first.newItem["title"] == "Stale" && first.operation == "update"
            )
            await expectServerError(.conflictUnhandled) {
                _ = try await dataSource.update("Post", input: ["id": "p", "_version": 1, "title": "Stale"])
            }
            let removed = try await dataSource.update("Post", input: ["id": "p", "_version": 1, "title": "Stale"])
            #expect(removed["_deleted"] == true && removed["_version"] == 4)
        }
    }

    @Test("composite keys address items by every key field", arguments: ServerStoreKind.available)
    func compositeKeys(kind: ServerStoreKind) async throws {
        try await withDataSource(kind) { dataSource in
            _ = try await dataSource.create(
                "Order",
                input: ["customerEmail": "c@example.com", "number": 7, "total": 10]
            )
            _ = try await dataSource.create(
                "Order",
                input: ["customerEmail": "c@example.com", "number": 8, "total": 1]
            )
            let key: [String: FieldValue] = ["customerEmail": "c@example.com", "number": 7]
            #expect(try await dataSource.get("Order", key: key)?["total"] == 10.0)
            let updated = try await dataSource.update(
                "Order",
                input: key.merging(["_version": 1, "total": 12.5]) { $1 }
            )
            #expect(updated["total"] == 12.5 && updated["number"] == 7)
            #expect(
                try await dataSource.get("Order", key: ["customerEmail": "c@example.com", "number": 8])?["total"] == 1.0
            )
            await expectServerError(.badRequest) {
                _ = try await dataSource.get("Order", key: ["customerEmail": "c@example.com"])
            }
        }
    }
}

/// A store whose next commit loses a race: another write of the same item lands first.
final class RacingStore: ItemStore {
    let base: SQLiteItemStore
    private let raced = Locked(false)

    init() throws { base = try SQLiteItemStore(path: nil) }

    var tokenSecret: [UInt8] { base.tokenSecret }

    func item(_ model: String, key: String) async throws(AppSyncError) -> StoredItem? {
        try await base.item(model, key: key)
    }

    func commit(
        _ model: String,
        key: String,
        expecting expected: Int?,
        item: StoredItem
    ) async throws(AppSyncError)
        -> Bool
    {
        // Only writes over a stored version can lose this race; the first of them does.
        if let expected,
            raced.withLock({ raced in
                defer { raced = true }
                return !raced
            })
        {
            var competing = try await base.item(model, key: key)!
            competing.version = expected + 1
            competing.fields["title"] = "Competing"
            _ = try await base.commit(model, key: key, expecting: expected, item: competing)
        }
        return try await base.commit(model, key: key, expecting: expected, item: item)
    }

    func items(
        _ model: String,
        after key: String?,
        limit: Int
    ) async throws(AppSyncError) -> [(key: String, item: StoredItem)] {
        try await base.items(model, after: key, limit: limit)
    }

    func items(
        _ model: String,
        in range: KeyRange,
        after position: RangePosition?,
        limit: Int
    ) async throws(AppSyncError) -> [(position: RangePosition, item: StoredItem)] {
        try await base.items(model, in: range, after: position, limit: limit)
    }

    func prepare(_ indexes: [KeyIndex]) async throws(AppSyncError) {
        try await base.prepare(indexes)
    }

    func log(after position: Int64, limit: Int) async throws(AppSyncError) -> [LogRecord] {
        try await base.log(after: position, limit: limit)
    }

    func lastPosition() async throws(AppSyncError) -> Int64 { try await base.lastPosition() }

    func changes(
        _ model: String,
        since: Int64,
        after position: Int64,
        limit: Int
    ) async throws(AppSyncError)
        -> [(position: Int64, item: StoredItem)]
    {
        try await base.changes(model, since: since, after: position, limit: limit)
    }

    func followCommits(_ ring: @escaping @Sendable () -> Void) async throws(AppSyncError) {
        try await base.followCommits(ring)
    }

    func purge(tombstonesBefore: Int64, changesBefore: Int64) async throws(AppSyncError) {
        try await base.purge(tombstonesBefore: tombstonesBefore, changesBefore: changesBefore)
    }

    func close() async { await base.close() }
}

@Suite("Writes that lose a race")
struct LostRaceTests {
    static func dataSource() throws -> (DataSource, RacingStore) {
        let store = try RacingStore()
        return (DataSource(document: try SchemaParser.parse(testSchema), store: store), store)
    }

    @Test("a delete that loses the race re-reads and reports the conflict, deleting nothing")
    func delete() async throws {
        let (dataSource, _) = try Self.dataSource()
        _ = try await dataSource.create("Post", input: ["id": "p", "title": "One"])
        let error = await expectServerError(.conflictUnhandled) {
            _ = try await dataSource.delete("Post", input: ["id": "p", "_version": 1])
        }
        #expect(error?.data?["title"] == "Competing" && error?.data?["_version"] == 2)
        #expect(try await dataSource.get("Post", key: ["id": "p"])?["_deleted"] == .null)
    }

    @Test("an update that loses the race re-reads and merges over the winner")
    func update() async throws {
        let (dataSource, _) = try Self.dataSource()
        _ = try await dataSource.create("Post", input: ["id": "p", "title": "One"])
        let merged = try await dataSource.update(
            "Post",
            input: ["id": "p", "_version": 1, "title": "Mine", "rating": 3]
        )
        #expect(merged["_version"] == 3 && merged["title"] == "Competing" && merged["rating"] == 3)
    }
}
