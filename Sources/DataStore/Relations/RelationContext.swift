/// Where a model's relations load from: the store that read or saved the model, and the related
/// models that were handed to its initializer.
///
/// Generated models keep one in a private property and return it from
/// ``Model/relationContext``. It never takes part in equality or hashing, and copying it costs
/// two reference counts, so a model stays a cheap `Sendable` value. It holds the store weakly: a
/// model does not keep a store open.
public struct RelationContext: Hashable, Sendable {
    let link: StoreLink?
    let loaded: LoadedRelations?

    /// No store and no loaded models: loading a relation throws
    /// ``DataStoreError/Code/detachedModel``.
    public init() {
        link = nil
        loaded = nil
    }

    init(link: StoreLink?) {
        self.link = link
        loaded = nil
    }

    /// A context for a model built from related models: `related` maps relation names to the models
    /// passed for them (nil entries are skipped). Relations load from the store the first related
    /// model came from, if any.
    public init(loading related: KeyValuePairs<String, (any Model)?>) {
        var models: [String: any Model] = [:]
        var link: StoreLink?
        for (name, model) in related {
            guard let model else { continue }
            models[name] = model
            if link == nil { link = model.relationContext.link }
        }
        self.link = link
        loaded = models.isEmpty ? nil : LoadedRelations(models)
    }

    /// All contexts are equal: where a model loads from is not part of its value.
    public static func == (lhs: RelationContext, rhs: RelationContext) -> Bool { true }

    /// Contributes nothing, consistently with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {}

    /// The store relations load from.
    ///
    /// - Throws: ``DataStoreError/Code/detachedModel`` when no store produced the model;
    ///   ``DataStoreError/Code/storeClosed`` when that store is gone.
    func store(for relation: String, of model: String) throws(DataStoreError) -> DataStore {
        guard let link else {
            throw DataStoreError(
                code: .detachedModel,
                message: "The \(model) was not read from or saved to a store, so its relation \(relation) cannot "
                    + "load. Use the model that store.save returns, or one from a query or an observation.",
                model: model,
                field: relation
            )
        }
        guard let store = link.store else { throw .storeClosed() }
        return store
    }
}

/// Related models handed to a generated initializer, by relation name.
final class LoadedRelations: Sendable {
    let models: [String: any Model]

    init(_ models: [String: any Model]) {
        self.models = models
    }
}

/// A weak reference to a store, shared by every model the store produces.
///
/// The store sets it once, at the end of its initializer, before it produces any model.
final class StoreLink: Sendable {
    private struct Target {
        weak var store: DataStore?
    }

    private let target = Locked(Target())

    func attach(_ store: DataStore) {
        target.withLock { $0.store = store }
    }

    /// The store, or nil once it has been deallocated.
    var store: DataStore? { target.withLock { $0.store } }
}
