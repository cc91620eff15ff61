import BlogModels
import DataStoreTestSupport
import DataStoreTesting
import Foundation
import GRDB
import Testing

@testable import DataStore

@Suite("Bad input gets a clear error and loses nothing")
struct BadInputTests {
    typealias Event = DynamicModel<LooseEvent>

    static func event(_ field: String, _ value: FieldValue) -> Event {
        var values = Array(repeating: FieldValue.null, count: LooseEvent.schema.fields.count)
        values[0] = "e1"
        values[LooseEvent.schema.fieldIndex(named: field)!] = value
        return Event(values)
    }

    struct InvalidValue: CustomTestStringConvertible, Sendable {
        let field: String
        let value: FieldValue
        var testDescription: String { "\(field) = \(value)" }
    }

    static let invalidValues: [InvalidValue] = [
        InvalidValue(field: "amount", value: .double(.infinity)),
        InvalidValue(field: "amount", value: .double(.nan)),
        InvalidValue(field: "email", value: "not-an-email"),
        InvalidValue(field: "email", value: "a@@b.com"),
        InvalidValue(field: "email", value: "a b@c.com"),
        InvalidValue(field: "url", value: "no scheme"),
        InvalidValue(field: "url", value: "https://"),
        InvalidValue(field: "url", value: "https://host/a//b"),
        InvalidValue(field: "at", value: "2026-13-01T00:00:00.000Z"),
        InvalidValue(field: "at", value: "yesterday"),
        InvalidValue(field: "at", value: "2026-01-01T00:00:00Z"),
        InvalidValue(field: "phone", value: "call me"),
        InvalidValue(field: "ip", value: "300.1.1.1"),
        InvalidValue(field: "ip", value: "1::2::3"),
        InvalidValue(field: "json", value: "{not json"),
        InvalidValue(field: "status", value: "DELETED"),
        InvalidValue(field: "tags", value: ["ok", .null]),
        InvalidValue(field: "tags", value: "not a list"),
        InvalidValue(field: "id", value: "has\u{0}nul"),
    ]

    @Test("invalid values are refused with invalidValue naming model and field", arguments: invalidValues)
    func invalidValue(_ invalid: InvalidValue) async throws {
        let store = try await DataStore(models: [Event.self], storage: .inMemory)
        defer { Task { await store.close() } }
        let error = await expectDataStoreError(.invalidValue) {
            try await store.save(Self.event(invalid.field, invalid.value))
        }
        #expect(error?.model == "LooseEvent")
        #expect(error?.field?.hasPrefix(invalid.field) == true, "\(String(describing: error))")
        #expect(try await store.count(Event.self) == 0)
    }

    @Test(
        "valid AWS scalar values are accepted",
        arguments: [
            ("email", FieldValue.string("first.last+tag@sub.example.co.uk")),
            ("url", "mailto:someone@example.com"), ("url", "https://example.com/a/b/"),
            ("at", "2026-11-24T13:45:00.123Z"), ("phone", "206-555-0100"), ("phone", "+44 20 7946 0958"),
            ("ip", "127.0.0.1/8"), ("ip", "::1"), ("ip", "::ffff:192.0.2.1"), ("json", "[1,{\"a\":null}]"),
            ("json", "\"just a string\""), ("status", "ACTIVE"),
        ]
    )
    func validValue(field: String, value: FieldValue) async throws {
        let store = try await DataStore(models: [Event.self], storage: .inMemory)
        try await store.save(Self.event(field, value))
        #expect(try await store.query(Event.self).first?.values[LooseEvent.schema.fieldIndex(named: field)!] == value)
        await store.close()
    }

    @Test("required fields must have values")
    func missingRequired() async throws {
        let store = try await DataStore(models: [DynamicModel<PostV1>.self], storage: .inMemory)
        let error = await expectDataStoreError(.invalidValue) {
            try await store.save(DynamicModel<PostV1>(["p", .null, 1]))
        }
        #expect(error?.field == "title")
        await store.close()
    }

    @Test("GraphQL Int is 32-bit; AWSTimestamp is 64-bit")
    func intRange() async throws {
        try await withStore { store in
            await expectDataStoreError(.invalidValue) {
                try await store.save(Post(title: "t", rating: Int(Int32.min) - 1, status: .active))
            }
            var everything = Everything()
            everything.timestamp = Int.max
            try await store.save(everything)
        }
    }

    @Test("an unregistered model type is refused everywhere")
    func unregistered() async throws {
        let store = try await DataStore(models: [Everything.self], storage: .inMemory)
        let post = Post(title: "t", rating: 1, status: .active)
        let error = await expectDataStoreError(.modelNotRegistered) { try await store.save(post) }
        #expect(error?.model == "Post")
        await expectDataStoreError(.modelNotRegistered) { _ = try await store.query(Post.self) }
        await expectDataStoreError(.modelNotRegistered) { _ = try await store.query(Post.self, byID: "x") }
        await expectDataStoreError(.modelNotRegistered) { try await store.delete(post) }
        await expectDataStoreError(.modelNotRegistered) { try await store.delete(Post.self, where: .all) }
        await store.close()
    }

    @Test("invalid schemas are refused when the store opens")
    func invalidSchemas() async throws {
        enum BadName: SchemaTag { static let schema = ModelSchema(name: "Bad Name", fields: [.required("id", .id)]) }
        enum Reserved: SchemaTag {
            static let schema = ModelSchema(
                name: "Reserved",
                fields: [.required("id", .id), .optional("_version", .int)]
            )
        }
        enum Duplicate: SchemaTag {
            static let schema = ModelSchema(
                name: "Duplicate",
                fields: [.required("id", .id), .optional("id", .string)]
            )
        }
        enum NoKey: SchemaTag { static let schema = ModelSchema(name: "NoKey", fields: [.required("name", .string)]) }
        enum BadIndex: SchemaTag {
            static let schema = ModelSchema(
                name: "BadIndex",
                fields: [.required("id", .id)],
                indexes: [ModelIndex(name: "byX", fields: ["x"])]
            )
        }
        enum SystemName: SchemaTag {
            static let schema = ModelSchema(name: "__datastore_outbox", fields: [.required("id", .id)])
        }
        let models: [any Model.Type] = [
            DynamicModel<BadName>.self, DynamicModel<Reserved>.self, DynamicModel<Duplicate>.self,
            DynamicModel<NoKey>.self, DynamicModel<BadIndex>.self, DynamicModel<SystemName>.self,
        ]
        for model in models {
            let error = await expectDataStoreError(.invalidSchema) {
                _ = try await DataStore(models: [model], storage: .inMemory)
            }
            #expect(error?.model == model.schema.name)
        }
    }

    @Test(
        "a conditional save on a missing model, or with a false condition, writes nothing",
        arguments: TemporaryStorage.allCases
    )
    func conditionalSave(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            var post = Post(title: "t", rating: 2, status: .active)
            await expectDataStoreError(.modelNotFound) { try await store.save(post, where: \.rating > 1) }
            #expect(try await store.count(Post.self) == 0)
            try await store.save(post)
            post.title = "changed"
            await expectDataStoreError(.conditionNotMet) { try await store.save(post, where: \.rating > 3) }
            #expect(try await store.query(Post.self, byID: post.id)?.title == "t")
            try await store.save(post, where: \.rating == 2)
            #expect(try await store.query(Post.self, byID: post.id)?.title == "changed")
        }
    }

    @Test(
        "a conditional delete on a missing model, or with a false condition, deletes nothing",
        arguments: TemporaryStorage.allCases
    )
    func conditionalDelete(kind: TemporaryStorage) async throws {
        try await withStore(kind) { store in
            let post = Post(title: "t", rating: 2, status: .active)
            await expectDataStoreError(.modelNotFound) { try await store.delete(post, where: \.rating > 1) }
            try await store.save(post)
            await expectDataStoreError(.conditionNotMet) { try await store.delete(post, where: \.rating > 3) }
            #expect(try await store.count(Post.self) == 1)
            #expect(try await store.delete(post, where: \.status == .active) == post)
            #expect(try await store.count(Post.self) == 0)
        }
    }

    @Test("a file that is not SQLite is refused and left untouched")
    func notADatabase() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let contents = Data(String(repeating: "this is not a database, it is a shopping list\n", count: 200).utf8)
        try contents.write(to: directory.file())
        let error = await expectDataStoreError(.notADatabase) {
            _ = try await DataStore(models: SeedModels.self, storage: .file(at: directory.file()))
        }
        #expect(error?.path == directory.file().path)
        #expect(try Data(contentsOf: directory.file()) == contents)
    }

    @Test("an SQLite database of another program is refused and left untouched")
    func foreignDatabase() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let queue = try DatabaseQueue(path: directory.file().path)
        try await queue.write { db in
            try db.execute(
                sql: "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5)"
            )
        }
        try queue.close()
        await expectDataStoreError(.notADatabase) {
            _ = try await DataStore(models: SeedModels.self, storage: .file(at: directory.file()))
        }
        let reopened = try DatabaseQueue(path: directory.file().path)
        #expect(try await reopened.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") } == 1)
        try reopened.close()
    }

    @Test("a damaged database gives corruptDatabase and is left for the user to recover")
    func corruptDatabase() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try await DataStore(models: SeedModels.self, storage: .file(at: directory.file()))
        try await store.save(
            (0..<2_000).map { Post(title: String(repeating: "x", count: 100) + "\($0)", rating: 1, status: .active) }
        )
        await store.close()
        // Overwrite the middle of the file (table pages, not the header) with garbage.
        let handle = try FileHandle(forUpdating: directory.file())
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size / 2)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 16_384))
        try handle.close()
        let damaged = try Data(contentsOf: directory.file())
        let error = await expectDataStoreError(.corruptDatabase) {
            let reopened = try await DataStore(models: SeedModels.self, storage: .file(at: directory.file()))
            defer { Task { await reopened.close() } }
            _ = try await reopened.query(Post.self)
        }
        #expect(error?.path == directory.file().path)
        #expect(try Data(contentsOf: directory.file()) == damaged)
    }

    @Test("a store in a location that cannot be written gives readOnlyStore naming the path")
    func readOnlyLocation() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // An existing store whose file cannot be written.
        let existing = directory.file("existing.sqlite")
        let store = try await DataStore(models: SeedModels.self, storage: .file(at: existing))
        try await store.save(Post(title: "kept", rating: 1, status: .active))
        await store.close()
        try makeReadOnly(existing)
        defer { try? makeWritable(existing) }
        let fileError = await expectDataStoreError(.readOnlyStore) {
            _ = try await DataStore(models: SeedModels.self, storage: .file(at: existing))
        }
        #expect(fileError?.path == existing.path)

        // A directory in which no store can be created.
        let locked = directory.url.appending(path: "locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
        try makeReadOnly(locked)
        defer { try? makeWritable(locked) }
        let directoryError = await expectDataStoreError(.readOnlyStore) {
            _ = try await DataStore(models: SeedModels.self, storage: .file(at: locked.appending(path: "new.sqlite")))
        }
        #expect(directoryError?.path == locked.appending(path: "new.sqlite").path)

        try makeWritable(existing)
        let reopened = try await DataStore(models: SeedModels.self, storage: .file(at: existing))
        #expect(try await reopened.query(Post.self).map(\.title) == ["kept"])
        await reopened.close()
    }

    @Test("a full disk rolls the write back and leaves the store usable")
    func storageFull() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let storage = StorageConfiguration.file(at: directory.file()).limited(toBytes: 256 * 1024)
        let store = try await DataStore(models: SeedModels.self, storage: storage)
        let text = String(repeating: "lorem ipsum ", count: 40)
        var saved = 0
        var failure: DataStoreError?
        while failure == nil, saved < 10_000 {
            do {
                try await store.save(
                    (0..<20).map { Post(id: "p\(saved + $0)", title: text, rating: 1, status: .active) }
                )
                saved += 20
            } catch {
                failure = error
            }
        }
        #expect(failure?.code == .storageFull)
        #expect(failure?.path == directory.file().path)
        #expect(try await store.count(Post.self) == saved)
        try await store.delete(Post.self, where: .beginsWith(\.id, "p1"))
        try await store.save(Post(title: "after", rating: 1, status: .active))
        #expect(try await store.count(Post.self, where: \.title == "after") == 1)
        await store.close()
    }

    @Test("a stored value the model cannot decode gives decodingFailed naming the field")
    func undecodable() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try await DataStore(models: SeedModels.self, storage: .file(at: directory.file()))
        try await store.save(Post(id: "p1", title: "t", rating: 1, status: .active))
        await store.close()
        let queue = try DatabaseQueue(path: directory.file().path)
        try await queue.write { db in try db.execute(sql: "UPDATE Post SET status = 'ARCHIVED'") }
        try queue.close()
        let reopened = try await DataStore(models: SeedModels.self, storage: .file(at: directory.file()))
        let error = await expectDataStoreError(.decodingFailed) { _ = try await reopened.query(Post.self) }
        #expect(error?.model == "Post")
        #expect(error?.field == "status")
        // Nothing was lost: the row is still there, and saving a valid model over it repairs it.
        #expect(try await reopened.count(Post.self) == 1)
        try await reopened.save(Post(id: "p1", title: "repaired", rating: 1, status: .inactive))
        #expect(try await reopened.query(Post.self).map(\.title) == ["repaired"])
        await reopened.close()
    }
}

/// Makes a file or directory unwritable: `chattr +i` for root (who ignores permissions), else
/// clearing the write permission bits.
func makeReadOnly(_ url: URL) throws {
    if geteuid() == 0 {
        try run("/usr/bin/chattr", "+i", url.path)
    } else {
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: url.path)
    }
}

func makeWritable(_ url: URL) throws {
    if geteuid() == 0 {
        try run("/usr/bin/chattr", "-i", url.path)
    } else {
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    }
}

private func run(_ command: String, _ arguments: String...) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: command)
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CocoaError(.fileWriteNoPermission, userInfo: [NSLocalizedDescriptionKey: "\(command) failed"])
    }
}
