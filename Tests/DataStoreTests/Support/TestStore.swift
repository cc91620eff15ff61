import BlogModels
import Foundation
import Testing

@testable import DataStore

/// A unique temporary directory, removed when the value is deinitialized... or at the end of the
/// test via `remove()`.
struct TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appending(path: "datastore-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String = "store.sqlite") -> URL { url.appending(path: name) }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// The storage kinds most behaviour tests run against.
enum StorageKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqliteFile, sqliteInMemory, ephemeral

    var testDescription: String { rawValue }
}

/// Opens a store of the seed models for one test and closes it afterwards.
@discardableResult
func withStore<T>(
    _ kind: StorageKind = .sqliteFile,
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
        models: SeedModels.models,
        storage: storage,
        configuration: configuration,
        outboxEnabled: outboxEnabled
    )
    do {
        let result = try await body(store)
        await store.close()
        return result
    } catch {
        await store.close()
        throw error
    }
}

/// Expects `body` to throw a `DataStoreError` with `code`; returns it.
@discardableResult
func expectDataStoreError(
    _ code: DataStoreError.Code,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async -> DataStoreError? {
    do {
        try await body()
        Issue.record("expected DataStoreError.\(code), but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as DataStoreError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected DataStoreError.\(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
