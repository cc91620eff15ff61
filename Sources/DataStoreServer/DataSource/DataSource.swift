import DataStore
import DataStoreAppSync
public import DataStoreSchema
import Foundation

/// The server's data operations — AppSync's resolvers for a versioned data source (PROTOCOL §3, §4):
/// versioned creates, updates and soft deletes with conditions and conflict strategies, `get`,
/// `list` and base/delta `sync` reads with opaque tokens, and expiry of tombstones and deltas.
///
/// The GraphQL layer turns requests into these calls; each returns items in the API's shape
/// (fields, `_version`, `_deleted`, `_lastChangedAt`, `__typename`) or throws a `AppSyncError`
/// with AppSync's error type.
public final class DataSource: Sendable {
    /// The generated API.
    public let api: AppSyncSchema
    let store: any ItemStore
    let configuration: ServerConfiguration
    let models: [String: ServerModel]

    /// The page size when a read asks for none, and the largest page a read may ask for.
    public static let defaultLimit = 100
    /// The largest page a read may ask for.
    public static let maximumLimit = 1_000
    /// How often a write re-reads after losing a race with another write to the same item.
    static let maximumAttempts = 32

    /// A data source for the models of `document`, keeping items in `store`.
    public init(document: SchemaDocument, store: any ItemStore, configuration: ServerConfiguration = .init()) {
        api = AppSyncSchema(document)
        self.store = store
        self.configuration = configuration
        models = Dictionary(
            uniqueKeysWithValues: document.models.map {
                ($0.schema.name, ServerModel($0, authSettings: configuration.authSettings))
            }
        )
    }

    func model(_ name: String) throws(AppSyncError) -> ServerModel {
        guard let model = models[name] else {
            throw .badRequest("\(name) is not a model of this API.")
        }
        return model
    }

    /// The key that signs `nextToken`s: the configuration's, else the store's.
    var tokenSecret: [UInt8] {
        get throws(AppSyncError) {
            if let secret = configuration.tokenSecret { return secret }
            return try store.tokenSecret
        }
    }
}
