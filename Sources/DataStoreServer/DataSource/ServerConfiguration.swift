public import DataStore
import Foundation

/// How a model's version conflicts are resolved (PROTOCOL §4.2).
public enum ConflictStrategy: Sendable {
    /// AppSync's default: merge the stale write into the server's item by AppSync's rules.
    case automerge
    /// Reject a stale write with `ConflictUnhandled`, carrying the server's item.
    case optimisticConcurrency
    /// Ask `handler` (a Swift closure, or ``ConflictHandlers/webhook(_:timeout:client:)``).
    case custom(ConflictHandler)
}

/// A custom conflict handler: AppSync's Lambda conflict handler, as a function (PROTOCOL §10).
public typealias ConflictHandler = @Sendable (ConflictRequest) async throws -> ConflictResolution

/// What a custom conflict handler is asked.
public struct ConflictRequest: Sendable {
    /// The model.
    public let model: String
    /// `create`, `update` or `delete`.
    public let operation: String
    /// The item as the mutation would write it.
    public let newItem: FieldValue
    /// The item as stored.
    public let existingItem: FieldValue
    /// The mutation's arguments (`input`, `condition`).
    public let arguments: FieldValue
    /// Who made the request; nil for API-key calls.
    public let identity: FieldValue?
}

/// A custom conflict handler's answer.
public enum ConflictResolution: Sendable, Equatable {
    /// Write this item (its metadata is the server's to set).
    case resolve(FieldValue)
    /// Refuse the mutation with `ConflictUnhandled`.
    case reject
    /// Delete the item.
    case remove
}

/// Settings of a ``DataSource``.
public struct ServerConfiguration: Sendable {
    /// Conflict strategies by model name; models not listed use ``defaultStrategy``.
    public var strategies: [String: ConflictStrategy] = [:]
    /// The strategy of models not in ``strategies``: AUTOMERGE, as Amplify's default.
    public var defaultStrategy: ConflictStrategy = .automerge
    /// How long the delta log covers (AppSync's DeltaSyncTableTTL: 30 minutes). A `lastSync`
    /// older than this gets a base query.
    public var deltaSyncTTL: Duration = .seconds(30 * 60)
    /// How long tombstones are kept (AppSync's BaseTableTTL: 30 days).
    public var tombstoneTTL: Duration = .seconds(30 * 24 * 60 * 60)
    /// The key that authenticates `nextToken`s. When nil (the default), the store's own key is
    /// used: created at random with the database and kept in it, so tokens survive restarts and
    /// work on every server sharing the database.
    public var tokenSecret: [UInt8]?
    /// The server's time: the stamps of writes and reads (`_lastChangedAt`, `startedAt`), the
    /// TTLs, and the timers of the server around the data source (keep-alives, deadlines, purges).
    /// Tests pass a `ManualClock`.
    public var clock: any WallClock = SystemClock()
    /// The token claims `@auth` rules read when they name none (identity: `sub::username`,
    /// groups: `cognito:groups`).
    public var authSettings = AuthSettings()

    /// The defaults.
    public init() {}

    func strategy(for model: String) -> ConflictStrategy { strategies[model] ?? defaultStrategy }
}
