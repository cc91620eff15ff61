public import DataStore

/// How a ``SyncedStore`` syncs: Amplify's names and defaults.
public struct SyncConfiguration: Sendable {
    /// Items per sync query page (`limit`).
    public var syncPageSize = 1_000
    /// The most records one model's sync query reads; a sync that reaches it stops there and
    /// does not advance the model's `lastSync` (the next sync is a base sync again).
    public var maxRecordsToSync = 10_000
    /// How old the last base sync may be before a sync is a base sync again (default 24 hours).
    /// A running store syncs again when it expires, not only at its next start.
    public var fullSyncInterval: Duration = .seconds(24 * 60 * 60)
    /// How often a running store asks for what changed (a delta sync of every model), or nil
    /// (the default) to sync only at start and when the base sync expires. For backends reached
    /// over HTTP alone; real-time subscriptions make it unneeded. Rounds are at least a second
    /// apart, whatever the intervals.
    public var deltaSyncInterval: Duration?
    /// How many models' sync queries run at once (models that belong to another wait for it).
    public var modelsSyncedAtOnce = 4
    /// Whether a running store subscribes to the backend's changes over its real-time WebSocket
    /// (default true). Off, changes arrive with sync queries only (at start, when the base sync
    /// expires, every ``deltaSyncInterval``): for networks that do not let WebSockets through.
    public var subscribesToChanges = true
    /// What to sync of each model: a predicate per model, sent as the sync query's `filter`
    /// (models without one sync everything).
    public var syncExpressions: [SyncExpression] = []
    /// Decides version conflicts the backend did not resolve (default: the backend's copy wins).
    public var conflictHandler: @Sendable (SyncConflict) async -> ConflictResolution = { _ in .applyRemote }
    /// Told of every failure sync does not recover from by itself: mutations moved to the dead
    /// letters, failed conditions, conflicts settled after too many attempts, paused sending.
    public var errorHandler: @Sendable (SyncError) -> Void = { _ in }
    /// How many times one mutation goes through the conflict handler before the backend's copy is
    /// applied and the conflict reported.
    public var maximumConflictAttempts = 10
    /// How many mutations of different records are on the wire at once (1: strict first-in,
    /// first-out, as Amplify sends). Mutations of one record always go one after another.
    public var mutationsInFlight = 4
    /// The back-off of mutations and sync queries after failures that may pass.
    public var retryPolicy = RetryPolicy()
    /// How often the backend is probed while it cannot be reached: the first probe within
    /// `initialDelay`, then up to twice as long after each failed one, up to `maximumDelay`
    /// (default 1 s to 30 s). Reaching it again sends what waits at once, whatever the mutations'
    /// back-off says, reconnects the subscriptions and syncs.
    public var reachabilityProbes = RetryPolicy(initialDelay: .seconds(1), maximumDelay: .seconds(30))
    /// The token claim that names the user in owner rules that name none: `sub::username` (the
    /// v2 transformer's default and `datastore-server`'s), or `username` for older backends. A
    /// model whose only listening rule is an owner rule subscribes with that owner argument.
    public var identityClaim = "sub::username"

    /// The defaults above.
    public init() {}
}

/// What to sync of one model: `predicate`, sent as its sync query's `filter`.
public struct SyncExpression: Sendable {
    /// The model's name.
    public let modelName: String
    /// The predicate, untyped.
    public let predicate: ModelPredicate

    /// Syncs only the models of type `M` that `predicate` matches.
    public init<M: Model>(_ type: M.Type, where predicate: QueryPredicate<M>) {
        modelName = M.schema.name
        self.predicate = predicate.predicate
    }
}

/// A version conflict the backend did not resolve: a local mutation met a newer copy.
public struct SyncConflict: Sendable {
    /// The model's name.
    public let modelName: String
    /// The local model the mutation sent.
    public let local: any Model
    /// The backend's copy.
    public let remote: any Model
    /// How many times this mutation has met a conflict, from 1.
    public let attempt: Int
}

/// What to do about a ``SyncConflict``.
public enum ConflictResolution: Sendable {
    /// The backend's copy wins and replaces the local one.
    case applyRemote
    /// Send the local model again, over the backend's version.
    case retryLocal
    /// Send this model instead, over the backend's version.
    case retry(any Model)
    /// Drop the local mutation and keep the local copy as it is (it differs from the backend's
    /// until the record changes again).
    case discard
}

/// A failure sync reports through ``SyncConfiguration/errorHandler`` and its events.
public struct SyncError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Kind: Hashable, Sendable {
        /// The backend refused a mutation for good; it is in the dead letters.
        case mutationFailed
        /// A mutation's condition did not hold on the backend; the backend's copy was restored.
        case conditionFailed
        /// A conflict was settled by applying the backend's copy after too many attempts, or
        /// because the backend deleted the record.
        case conflictSettled
        /// The backend refused the credentials; sending waits for new ones.
        case unauthorized
        /// A sync query failed; the model's sync starts over on the next run.
        case syncFailed
        /// A schema change discarded mutations that had not been sent.
        case mutationsDiscarded
        /// The backend refused a model's subscriptions; its changes arrive with sync queries only.
        case subscriptionFailed
    }

    /// What kind of failure.
    public let kind: Kind
    /// The model concerned, if one.
    public let modelName: String?
    /// The record concerned, if one (its identifier as text).
    public let modelID: String?
    /// What happened and what to do.
    public let message: String

    /// The error as text.
    public var description: String {
        let record = [modelName, modelID].compactMap(\.self).joined(separator: " ")
        return record.isEmpty ? "\(kind): \(message)" : "\(kind) (\(record)): \(message)"
    }
}
