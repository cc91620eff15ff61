extension DataStore {
    /// Saves a model: inserts it, or replaces the stored model with the same identifier.
    ///
    /// ```swift
    /// let post = try await store.save(Post(title: "Hello", rating: 5, status: .active))
    /// try await store.save(Comment(post: post, content: "First!"))
    /// ```
    ///
    /// A model with a required relation (a `belongsTo` whose field is non-null) can only be saved
    /// when the related model is stored.
    ///
    /// - Returns: the saved model, attached to this store: its relations load from here.
    /// - Throws: ``DataStoreError`` — `modelNotRegistered`; `invalidValue` (naming the field) when a
    ///   value cannot be stored or a key field is empty; `relatedModelMissing` when a required
    ///   relation points at nothing; `storageFull`, `readOnlyStore` and other storage errors. A
    ///   failed save writes nothing.
    @discardableResult
    public func save<M: Model>(_ model: M) async throws(DataStoreError) -> M {
        let schema = try models.entry(for: M.self).schema
        let values = model.fieldValues
        try schema.validate(values)
        try await engine.save([.init(model: model, values: values)], schema: schema, condition: nil)
        return try attached(model, values, schema)
    }

    /// Saves a model only if the stored model with the same identifier satisfies `condition`.
    ///
    /// ```swift
    /// var edited = post
    /// edited.title = "New title"
    /// try await store.save(edited, where: \.rating > 3)
    /// ```
    ///
    /// The condition is checked against the *stored* model, inside the same transaction as the
    /// write. It can only test the model's own fields (the backend checks it too, and AppSync
    /// conditions cannot follow relations).
    ///
    /// - Returns: the saved model, attached to this store.
    /// - Throws: ``DataStoreError/Code/modelNotFound`` when no model with that identifier is
    ///   stored (a condition on a model that does not exist yet is an error);
    ///   ``DataStoreError/Code/conditionNotMet`` when the condition is false;
    ///   ``DataStoreError/Code/invalidPredicate`` for a condition across relations. Nothing is
    ///   written in any of these cases.
    @discardableResult
    public func save<M: Model>(_ model: M, where condition: QueryPredicate<M>) async throws(DataStoreError) -> M {
        let schema = try models.entry(for: M.self).schema
        let values = model.fieldValues
        try schema.validate(values)
        let resolved = try condition.predicate.resolve(against: schema)
        try await engine.save([.init(model: model, values: values)], schema: schema, condition: resolved)
        return try attached(model, values, schema)
    }

    /// Saves many models in one transaction: all of them are saved, or none is.
    ///
    /// Observers receive one event per model, in the order of `models`. Much faster than saving
    /// one by one, since the whole batch commits once. Required relations may point at models of
    /// the same batch.
    ///
    /// - Throws: as ``save(_:)``, and ``DataStoreError/Code/duplicateIdentifier`` when two models
    ///   of the batch have the same identifier.
    public func save<M: Model>(_ models: [M]) async throws(DataStoreError) {
        guard !models.isEmpty else { return }
        let schema = try self.models.entry(for: M.self).schema
        var saves: [StorageEngine.PendingSave] = []
        saves.reserveCapacity(models.count)
        for model in models {
            let values = model.fieldValues
            try schema.validate(values)
            saves.append(.init(model: model, values: values))
        }
        try await engine.save(saves, schema: schema, condition: nil)
    }

    /// `model` as this store would return it: with relations loading from the store.
    func attached<M: Model>(_ model: M, _ values: [FieldValue], _ schema: ModelSchema) throws(DataStoreError) -> M {
        guard !schema.relations.isEmpty else { return model }
        return try schema.decode(M.self, values, context: relationContext)
    }
}
