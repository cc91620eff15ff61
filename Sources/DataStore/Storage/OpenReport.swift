/// What happens when the stored schema cannot be migrated in place.
public enum IncompatibleSchemaPolicy: Sendable, Hashable {
    /// Delete the local data and start over (the default: with sync, the cloud has the data).
    /// Pending outbox mutations are reported to the configuration's error handler first.
    case wipe
    /// Throw ``DataStoreError/Code/incompatibleSchema`` and leave the store untouched.
    case fail
}

/// What opening the storage did.
struct OpenReport: Sendable {
    var change: SchemaChange = .none
    /// Outbox entries that a wipe discarded.
    var discardedMutations: [OutboxEntry] = []
}
