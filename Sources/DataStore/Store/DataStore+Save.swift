extension DataStore {
    /// Saves a model: inserts it, or replaces the stored model with the same identifier.
    ///
    /// ```swift
    /// try await store.save(Post(title: "Hello", rating: 5, status: .active))
    /// ```
    ///
    /// - Throws: ``DataStoreError`` — `modelNotRegistered`; `invalidValue` (naming the field) when a
    ///   value cannot be stored; `storageFull`, `readOnlyStore` and other storage errors. A failed
    ///   save writes nothing.
    public func save<M: Model>(_ model: M) async throws(DataStoreError) {
        let schema = try models.entry(for: M.self).schema
        let values = model.fieldValues
        try schema.validate(values)
        try await engine.save([.init(model: model, values: values)], schema: schema, condition: nil)
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
    /// write.
    ///
    /// - Throws: ``DataStoreError/Code/modelNotFound`` when no model with that identifier is
    ///   stored (a condition on a model that does not exist yet is an error);
    ///   ``DataStoreError/Code/conditionNotMet`` when the condition is false. Nothing is written in
    ///   either case.
    public func save<M: Model>(_ model: M, where condition: QueryPredicate<M>) async throws(DataStoreError) {
        let schema = try models.entry(for: M.self).schema
        let values = model.fieldValues
        try schema.validate(values)
        let resolved = try condition.predicate.resolve(against: schema)
        try await engine.save([.init(model: model, values: values)], schema: schema, condition: resolved)
    }

    /// Saves many models in one transaction: all of them are saved, or none is.
    ///
    /// Observers receive one event per model, in the order of `models`. Much faster than saving
    /// one by one, since the whole batch commits once.
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
}
