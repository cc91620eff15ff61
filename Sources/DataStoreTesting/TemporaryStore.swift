public import DataStore
public import Foundation

/// A unique temporary directory; ``remove()`` deletes it with everything in it.
public struct TemporaryDirectory: Sendable {
    /// The directory.
    public let url: URL

    /// Creates a fresh directory under the system's temporary directory.
    public init() throws {
        url = FileManager.default.temporaryDirectory.appending(path: "datastore-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A file in the directory.
    public func file(_ name: String = "store.sqlite") -> URL { url.appending(path: name) }

    /// Deletes the directory.
    public func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Where a temporary store keeps its data.
public enum TemporaryStorage: String, CaseIterable, Sendable {
    /// An SQLite file in a fresh temporary directory, deleted afterwards.
    case sqliteFile
    /// An in-memory SQLite database.
    case sqliteInMemory
    /// The in-memory adapter without SQLite.
    case ephemeral
}

/// Opens a store of `models` for the duration of `body`, then closes it and deletes its files,
/// also when `body` throws.
///
/// ```swift
/// try await withTemporaryStore(models: [Post.self]) { store in
///     try await store.save(Post(title: "Hello"))
/// }
/// ```
@discardableResult
public func withTemporaryStore<T>(
    models: [any Model.Type],
    storage: TemporaryStorage = .sqliteFile,
    configuration: DataStore.Configuration = DataStore.Configuration(),
    _ body: (DataStore) async throws -> T
) async throws -> T {
    try await withTemporaryStore(
        models: models,
        storage: storage,
        configuration: configuration,
        outboxEnabled: false,
        body
    )
}

/// ``withTemporaryStore(models:storage:configuration:_:)`` with the outbox recording every write,
/// for the package's own tests.
@discardableResult
package func withTemporaryStore<T>(
    models: [any Model.Type],
    storage: TemporaryStorage,
    configuration: DataStore.Configuration,
    outboxEnabled: Bool,
    _ body: (DataStore) async throws -> T
) async throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let location: StorageConfiguration =
        switch storage {
        case .sqliteFile: .file(at: directory.file())
        case .sqliteInMemory: .inMemory
        case .ephemeral: .ephemeral
        }
    let store = try await DataStore(
        models: models,
        storage: location,
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
