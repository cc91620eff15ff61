import BlogModels
import DataStoreTestSupport
import DataStoreTesting
import Foundation
import GRDB
import Testing

@testable import DataStore

@Suite("Schema versions and migration")
struct MigrationTests {
    typealias V1 = DynamicModel<PostV1>
    typealias V2 = DynamicModel<PostV2>

    func open(
        _ models: [any Model.Type],
        at url: URL,
        policy: IncompatibleSchemaPolicy = .wipe,
        outbox: Bool = false,
        errors: (@Sendable (DataStoreError) -> Void)? = nil
    ) async throws -> DataStore {
        var configuration = DataStore.Configuration()
        configuration.onIncompatibleSchema = policy
        if let errors { configuration.errorHandler = errors }
        return try await DataStore(
            models: models,
            storage: .file(at: url),
            configuration: configuration,
            outboxEnabled: outbox
        )
    }

    @Test("additive changes migrate in place and keep the data")
    func additive() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let v1 = try await open([V1.self], at: directory.file())
        try await v1.save(V1(["p1", "first", 3]))
        await v1.close()

        let v2 = try await open([V2.self, DynamicModel<TagV2>.self], at: directory.file())
        #expect(try await v2.query(V2.self) == [V2(["p1", "first", 3, .null])])
        try await v2.save(V2(["p2", "second", 5, "sub"]))
        try await v2.save(DynamicModel<TagV2>(["t1", "swift"]))
        #expect(try await v2.count(V2.self, where: QueryPredicate(.field("subtitle", .eq("sub")))) == 1)
        await v2.close()

        let queue = try DatabaseQueue(path: directory.file().path)
        let plan = try await queue.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT * FROM Post WHERE rating = 5").map {
                $0["detail"] as String
            }
        }
        try queue.close()
        #expect(plan.contains { $0.contains("Post__byRating") }, "\(plan)")
    }

    @Test("removing an index migrates in place")
    func indexRemoved() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let v2 = try await open([V2.self], at: directory.file())
        try await v2.save(V2(["p1", "t", 1, .null]))
        await v2.close()
        enum PostV2NoIndex: SchemaTag {
            static let schema = ModelSchema(name: "Post", fields: PostV2.schema.fields)
        }
        let again = try await open([DynamicModel<PostV2NoIndex>.self], at: directory.file())
        #expect(try await again.count(DynamicModel<PostV2NoIndex>.self) == 1)
        await again.close()
        let queue = try DatabaseQueue(path: directory.file().path)
        let indexes = try await queue.read { db in
            try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'Post' AND sql IS NOT NULL"
            )
        }
        try queue.close()
        #expect(indexes.isEmpty)
    }

    @Test("fields whose names differ only in case get their own columns, also when one is added later")
    func caseVariantNames() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let v2 = try await open([V2.self], at: directory.file())
        try await v2.save(V2(["p1", "lower", 1, "sub"]))
        await v2.close()
        // `Title` and `SUBTITLE` beside `title` and `subtitle`: SQLite's identifiers ignore case,
        // GraphQL's names do not. The old columns move aside; their data stays.
        enum PostCases: SchemaTag {
            static let schema = ModelSchema(
                name: "Post",
                fields: PostV2.schema.fields + [.optional("Title", .string), .optional("SUBTITLE", .int)],
                indexes: PostV2.schema.indexes + [ModelIndex(name: "byTitle", fields: ["Title", "title"])]
            )
        }
        typealias Cases = DynamicModel<PostCases>
        let cases = try await open([Cases.self], at: directory.file())
        #expect(try await cases.query(Cases.self) == [Cases(["p1", "lower", 1, "sub", .null, .null])])
        try await cases.save(Cases(["p2", "lower 2", 2, "sub 2", "Upper", 7]))
        #expect(
            try await cases.query(Cases.self, where: QueryPredicate(.field("Title", .eq("Upper")))).map { $0.values[1] }
                == ["lower 2"]
        )
        #expect(try await cases.count(Cases.self, where: QueryPredicate(.field("SUBTITLE", .gt(5)))) == 1)
        #expect(try await cases.count(Cases.self, where: QueryPredicate(.field("subtitle", .beginsWith("sub")))) == 2)
        await cases.close()
        let reopened = try await open([Cases.self], at: directory.file())
        #expect(try await reopened.count(Cases.self) == 2)
        await reopened.close()
    }

    @Test("an incompatible change wipes local data, reporting unsent mutations first")
    func incompatibleWipes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let v1 = try await open([V1.self], at: directory.file(), outbox: true)
        try await v1.save(V1(["p1", "first", 3]))
        #expect(try await v1.engine.outboxEntries().count == 1)
        await v1.close()

        let reported = Reported()
        let changed = try await open(
            [DynamicModel<PostRatingAsString>.self],
            at: directory.file(),
            outbox: true,
            errors: { reported.add($0) }
        )
        #expect(try await changed.count(DynamicModel<PostRatingAsString>.self) == 0)
        #expect(try await changed.engine.outboxEntries().isEmpty)
        try await changed.save(DynamicModel<PostRatingAsString>(["p1", "t", "five"]))
        await changed.close()
        let errors = reported.errors
        #expect(errors.count == 1)
        #expect(errors.first?.code == .incompatibleSchema)
        #expect(errors.first?.message.contains("create Post p1") == true, "\(errors)")
    }

    @Test("with the fail policy, an incompatible change throws and leaves the store untouched")
    func incompatibleFails() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let v1 = try await open([V1.self], at: directory.file())
        try await v1.save(V1(["p1", "first", 3]))
        await v1.close()
        let error = await expectDataStoreError(.incompatibleSchema) {
            _ = try await open([DynamicModel<PostV2Required>.self], at: directory.file(), policy: .fail)
        }
        #expect(error?.model == "Post")
        #expect(error?.field == "subtitle")
        #expect(error?.path == directory.file().path)
        let again = try await open([V1.self], at: directory.file())
        #expect(try await again.count(V1.self) == 1)
        await again.close()
    }

    @Test("a store written by a newer schema is refused, naming what this app lacks, and kept")
    func newerSchema() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let v2 = try await open([V2.self, DynamicModel<TagV2>.self], at: directory.file())
        try await v2.save(V2(["p1", "t", 1, "sub"]))
        await v2.close()

        let missingField = await expectDataStoreError(.newerStore) {
            _ = try await open([V1.self, DynamicModel<TagV2>.self], at: directory.file())
        }
        #expect(missingField?.model == "Post")
        #expect(missingField?.field == "subtitle")
        let missingModel = await expectDataStoreError(.newerStore) {
            _ = try await open([V2.self], at: directory.file())
        }
        #expect(missingModel?.model == "Tag")

        let again = try await open([V2.self, DynamicModel<TagV2>.self], at: directory.file())
        #expect(try await again.query(V2.self) == [V2(["p1", "t", 1, "sub"])])
        await again.close()
    }

    @Test("a store written by a newer storage format is refused")
    func newerFormat() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try await open([V1.self], at: directory.file())
        await store.close()
        let queue = try DatabaseQueue(path: directory.file().path)
        try await queue.write { db in
            try db.execute(sql: "UPDATE __datastore_meta SET value = '99' WHERE key = 'format_version'")
        }
        try queue.close()
        let error = await expectDataStoreError(.newerStore) { _ = try await open([V1.self], at: directory.file()) }
        #expect(error?.message.contains("99") == true)
    }

    @Test("a store of storage format 1 gains sync's columns and dead letters, keeping its data and outbox")
    func formatOne() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try await open([V1.self], at: directory.file(), outbox: true)
        try await store.save(V1(["a", "kept", 1]))
        await store.close()
        // Format 1's system tables, as the previous release wrote them.
        let queue = try DatabaseQueue(path: directory.file().path)
        try await queue.write { db in
            try db.execute(
                sql: """
                    DROP TABLE __datastore_dead_letters;
                    ALTER TABLE __datastore_outbox DROP COLUMN version;
                    ALTER TABLE __datastore_model_sync_state DROP COLUMN expression_hash;
                    UPDATE __datastore_meta SET value = '1' WHERE key = 'format_version';
                    """
            )
        }
        try queue.close()
        let reopened = try await open([V1.self], at: directory.file(), outbox: true)
        #expect(try await reopened.query(V1.self).count == 1)
        #expect(try await reopened.engine.outboxEntries().map(\.modelID) == ["a"])
        #expect(try await reopened.engine.deadLetters().isEmpty)
        try await reopened.engine.setModelSyncState(ModelSyncState(lastSync: 5, expressionHash: "h"), model: "Post")
        #expect(try await reopened.engine.modelSyncState("Post").expressionHash == "h")
        await reopened.close()
        let check = try DatabaseQueue(path: directory.file().path)
        let format = try await check.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM __datastore_meta WHERE key = 'format_version'")
        }
        try check.close()
        #expect(format == "2")
    }
}

@Suite("Schema version hash")
struct SchemaVersionTests {
    @Test("ignores field order and plural names; changes with anything that shapes storage")
    func hash() {
        let base = PostV2.schema
        let reordered = ModelSchema(
            name: "Post",
            pluralName: "Postings",
            fields: base.fields.reversed(),
            indexes: base.indexes
        )
        #expect(SchemaVersion.hash(of: [base]) == SchemaVersion.hash(of: [reordered]))
        #expect(SchemaVersion.hash(of: [base, TagV2.schema]) == SchemaVersion.hash(of: [TagV2.schema, base]))
        let variants: [ModelSchema] = [
            PostV1.schema,
            ModelSchema(
                name: "Post",
                fields: base.fields.map { $0.name == "subtitle" ? .required("subtitle", .string) : $0 },
                indexes: base.indexes
            ),
            ModelSchema(
                name: "Post",
                fields: base.fields.map { $0.name == "subtitle" ? .optional("subtitle", .email) : $0 },
                indexes: base.indexes
            ),
            ModelSchema(name: "Post", fields: base.fields),
            ModelSchema(name: "Post", fields: base.fields, primaryKey: ["id", "title"], indexes: base.indexes),
            ModelSchema(
                name: "Post",
                fields: base.fields,
                indexes: [ModelIndex(name: "byRating", fields: ["rating", "title"])]
            ),
            ModelSchema(name: "Posting", fields: base.fields, indexes: base.indexes),
        ]
        let hashes = Set(([base] + variants).map { SchemaVersion.hash(of: [$0]) })
        #expect(hashes.count == variants.count + 1)
        #expect(SchemaVersion.hash(of: [base]).count == 64)
    }

    @Test("SHA-256 matches the FIPS 180-4 test vectors")
    func sha256() {
        #expect(SHA256.hexDigest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexDigest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hexDigest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        )
        #expect(
            SHA256.hexDigest(String(repeating: "a", count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        )
    }
}

/// Collects errors handed to a configuration's error handler.
final class Reported: Sendable {
    private let storage = Locked<[DataStoreError]>([])
    func add(_ error: DataStoreError) { storage.withLock { $0.append(error) } }
    var errors: [DataStoreError] { storage.withLock { $0 } }
}
