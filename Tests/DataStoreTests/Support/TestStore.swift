import BlogModels
import DataStoreTestSupport
import DataStoreTesting
import Foundation
import Testing

@testable import DataStore

/// Opens a store of the seed models for one test and closes it afterwards.
@discardableResult
func withStore<T>(
    _ kind: TemporaryStorage = .sqliteFile,
    configuration: DataStore.Configuration = DataStore.Configuration(),
    outboxEnabled: Bool = false,
    _ body: (DataStore) async throws -> T
) async throws -> T {
    try await withTestStore(
        kind,
        models: SeedModels.models,
        configuration: configuration,
        outboxEnabled: outboxEnabled,
        body
    )
}
