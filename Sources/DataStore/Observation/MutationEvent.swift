/// A change to a stored model, as delivered by ``DataStore/observe(_:where:)``.
public struct MutationEvent<M: Model>: Sendable {
    /// What happened to the model.
    public typealias Kind = MutationKind
    /// Where the change came from.
    public typealias Source = MutationSource

    /// What happened.
    public let kind: MutationKind
    /// The model after the change; for a deletion, the model as it was.
    public let model: M
    /// Where the change came from.
    public let source: MutationSource
}

/// What happened to a model.
public enum MutationKind: String, Hashable, Sendable {
    case created, updated, deleted
}

/// Where a change came from.
public enum MutationSource: String, Hashable, Sendable {
    /// This process saved or deleted the model.
    case local
    /// The sync engine applied a change from the backend.
    case remote
}
