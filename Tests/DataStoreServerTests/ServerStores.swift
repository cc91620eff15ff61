import DataStore
import DataStoreTestSupport
import DataStoreTesting
import Foundation
import Testing

@testable import DataStoreServer

/// The stores the server's tests run against: embedded SQLite always, PostgreSQL when
/// `DATASTORE_TEST_POSTGRES_URL` names a server (`Scripts/test` starts one and sets it).
enum ServerStoreKind: String, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    var testDescription: String { rawValue }

    static let postgresURL = ProcessInfo.processInfo.environment["DATASTORE_TEST_POSTGRES_URL"]

    /// The kinds this run can test.
    static let available: [ServerStoreKind] = postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
}

/// Runs `body` with a running, set-up PostgreSQL store in a schema of its own (so tests run in
/// parallel on one server; `schema` shares one), with few connections (many tests run at once).
func withPostgresStore<Result>(
    schema: String? = nil,
    _ body: (PostgresItemStore) async throws -> Result
) async throws -> Result {
    let url = try #require(ServerStoreKind.postgresURL, "set DATASTORE_TEST_POSTGRES_URL (Scripts/test does)")
    var configuration = try PostgresItemStore.Configuration(url: url)
    configuration.schema = schema ?? "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    configuration.maximumConnections = 4
    return try await PostgresItemStore.withStore(configuration, body)
}

/// Runs `body` with a fresh store of `kind`, and closes it (dropping a PostgreSQL test schema)
/// afterwards, also when `body` throws.
func withServerStore<Result>(
    _ kind: ServerStoreKind,
    _ body: (any ItemStore) async throws -> Result
) async throws -> Result {
    switch kind {
    case .sqlite:
        let store = try SQLiteItemStore(path: nil)
        return try await withTeardown {
            try await body(store)
        } teardown: {
            await store.close()
        }
    case .postgres:
        return try await withPostgresStore { store in
            try await withTeardown {
                try await body(store)
            } teardown: {
                try? await store.dropSchema()
            }
        }
    }
}

/// Runs `body` with a data source for `schema` (``testSchema`` unless given) over a fresh store of `kind`, with a clock the
/// test controls.
func withDataSource<Result>(
    _ kind: ServerStoreKind,
    schema: String = testSchema,
    clock: ManualClock = ManualClock(),
    configuration: ServerConfiguration = ServerConfiguration(),
    _ body: (DataSource) async throws -> Result
) async throws -> Result {
    try await withServerStore(kind) { store in
        try await body(try makeDataSource(schema: schema, store: store, clock: clock, configuration: configuration))
    }
}
