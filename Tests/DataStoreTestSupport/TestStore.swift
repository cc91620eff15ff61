package import DataStore
public import DataStoreTesting
public import Testing

/// Behaviour tests run against every storage: SQLite (file and memory) and the pure in-memory
/// adapter, whose evaluator is the reference for the SQL.
extension TemporaryStorage: CustomTestStringConvertible {
    /// The storage's name in test output.
    public var testDescription: String { rawValue }
}

/// Opens a store of `models` for one test and closes it afterwards, also when `body` throws.
@discardableResult
package func withTestStore<T>(
    _ kind: TemporaryStorage,
    models: [any Model.Type],
    configuration: DataStore.Configuration = DataStore.Configuration(),
    outboxEnabled: Bool = false,
    _ body: (DataStore) async throws -> T
) async throws -> T {
    try await withTemporaryStore(
        models: models,
        storage: kind,
        configuration: configuration,
        outboxEnabled: outboxEnabled,
        body
    )
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
