import DataStore
import DataStoreAppSync

/// Asks the app what to do about version conflicts (``SyncConfiguration/conflictHandler``), one
/// conflict at a time, so that a handler never sees two conflicts at once.
actor ConflictResolver {
    private let handler: @Sendable (SyncConflict) async -> ConflictResolution

    init(handler: @escaping @Sendable (SyncConflict) async -> ConflictResolution) {
        self.handler = handler
    }

    /// The handler's resolution of a conflict between the local mutation's `local` values and
    /// the backend's `remote` copy; `.applyRemote` when either cannot be made into a model.
    func resolve(
        _ entry: OutboxEntry,
        _ model: SyncedModel,
        local: [String: FieldValue],
        remote: RemoteItem,
        attempt: Int
    ) async -> ConflictResolution {
        let localValues = model.schema.fields.map { local[$0.name] ?? .null }
        guard let localModel = try? model.model(localValues), let remoteModel = try? model.model(remote.values) else {
            return .applyRemote
        }
        return await handler(
            SyncConflict(modelName: entry.modelName, local: localModel, remote: remoteModel, attempt: attempt)
        )
    }
}
