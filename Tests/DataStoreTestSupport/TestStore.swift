package import DataStore
package import Foundation
package import Testing

/// A unique temporary directory, removed by `remove()` at the end of the test.
package struct TemporaryDirectory: Sendable {
    package let url: URL

    package init() throws {
        url = FileManager.default.temporaryDirectory.appending(path: "datastore-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    package func file(_ name: String = "store.sqlite") -> URL { url.appending(path: name) }

    package func remove() { try? FileManager.default.removeItem(at: url) }
}

/// The storage kinds behaviour tests run against: SQLite (file and memory) and the pure in-memory
/// adapter, whose evaluator is the reference for the SQL.
package enum StorageKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqliteFile, sqliteInMemory, ephemeral

    package var testDescription: String { rawValue }
}

/// Opens a store of `models` for one test and closes it afterwards, also when `body` throws.
@discardableResult
package func withTestStore<T>(
    _ kind: StorageKind,
    models: [any Model.Type],
    configuration: DataStore.Configuration = DataStore.Configuration(),
    outboxEnabled: Bool = false,
    _ body: (DataStore) async throws -> T
) async throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let storage: StorageConfiguration
    switch kind {
    case .sqliteFile: storage = .file(at: directory.file())
    case .sqliteInMemory: storage = .inMemory
    case .ephemeral: storage = .ephemeral
    }
    let store = try await DataStore(
        models: models,
        storage: storage,
        configuration: configuration,
        outboxEnabled: outboxEnabled
    )
    return try await withTeardown {
        try await body(store)
    } teardown: {
        await store.close()
    }
}

/// Runs `body`, then `teardown` — also when `body` throws.
package func withTeardown<T>(
    _ body: () async throws -> T,
    teardown: () async -> Void
) async throws -> T {
    let result: T
    do {
        result = try await body()
    } catch {
        await teardown()
        throw error
    }
    await teardown()
    return result
}

/// Runs `body`, expecting it to throw an `E` that `matches` (`expected` describes it); returns the
/// error.
@discardableResult
package func expectError<E: Error>(
    _ type: E.Type,
    _ expected: String,
    sourceLocation: SourceLocation = #_sourceLocation,
    matching matches: (E) -> Bool,
    _ body: () async throws -> Void
) async -> E? {
    do {
        try await body()
        Issue.record("expected \(expected), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as E {
        #expect(matches(error), "expected \(expected), got \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected \(expected), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Runs `body`, expecting it to throw a ``DataStoreError`` with `code`; returns the error.
@discardableResult
package func expectDataStoreError(
    _ code: DataStoreError.Code,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async -> DataStoreError? {
    await expectError(
        DataStoreError.self,
        "DataStoreError.\(code)",
        sourceLocation: sourceLocation,
        matching: { $0.code == code },
        body
    )
}
