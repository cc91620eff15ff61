extension DataStore {
    /// Deletes a model (by its identifier).
    ///
    /// Deleting a model also deletes the models its `hasMany` and `hasOne` relations hold, and
    /// theirs, in the same transaction; observers receive a deletion event for each, children
    /// first. The other side of a many-to-many relation stays: only the join models go.
    ///
    /// - Returns: the model as it was stored, or nil when none with that identifier was stored.
    @discardableResult
    public func delete<M: Model>(_ model: M) async throws(DataStoreError) -> M? {
        let schema = try models.entry(for: M.self).schema
        let identifier = ModelIdentifier(of: model.fieldValues, in: schema)
        return try await engine.delete(M.self, schema: schema, identifier: identifier, condition: nil)
    }

    /// Deletes a model only if the stored model satisfies `condition`.
    ///
    /// - Throws: ``DataStoreError/Code/modelNotFound`` when no such model is stored;
    ///   ``DataStoreError/Code/conditionNotMet`` when the condition is false. Nothing is deleted in
    ///   either case.
    @discardableResult
    public func delete<M: Model>(_ model: M, where condition: QueryPredicate<M>) async throws(DataStoreError) -> M? {
        let schema = try models.entry(for: M.self).schema
        let identifier = ModelIdentifier(of: model.fieldValues, in: schema)
        let resolved = try condition.predicate.resolve(against: schema)
        return try await engine.delete(M.self, schema: schema, identifier: identifier, condition: resolved)
    }

    /// Deletes the model whose `id` is `id`.
    ///
    /// - Returns: the deleted model, or nil when none was stored.
    @discardableResult
    public func delete<M: Model>(_ type: M.Type, byID id: String) async throws(DataStoreError) -> M? {
        let schema = try models.entry(for: M.self).schema
        let identifier = try singleIDIdentifier(schema, id)
        return try await engine.delete(M.self, schema: schema, identifier: identifier, condition: nil)
    }

    /// Deletes the model with the identifier `identifier` (and, as ``delete(_:)`` does, the
    /// models its relations hold).
    ///
    /// - Returns: the deleted model, or nil when none was stored.
    @discardableResult
    public func delete<M: Model>(
        _ type: M.Type,
        byIdentifier identifier: ModelKey<M>
    ) async throws(DataStoreError) -> M? {
        let schema = try models.entry(for: M.self).schema
        let resolved = try identifier.resolve(against: schema)
        return try await engine.delete(M.self, schema: schema, identifier: resolved, condition: nil)
    }

    /// Deletes every model matching `predicate` in one transaction; `.all` deletes them all. The
    /// models their relations hold are deleted too, as ``delete(_:)`` does.
    ///
    /// ```swift
    /// try await store.delete(Post.self, where: \.status == .inactive)
    /// try await store.delete(Post.self, where: .all)
    /// ```
    ///
    /// - Returns: the models that matched. Observers receive one deletion event for each deleted
    ///   model, including the ones deleted through relations.
    @discardableResult
    public func delete<M: Model>(_ type: M.Type, where predicate: QueryPredicate<M>) async throws(DataStoreError) -> [M]
    {
        let schema = try models.entry(for: M.self).schema
        let resolved = try predicate.predicate.resolve(against: schema, models: models)
        return try await engine.delete(M.self, schema: schema, matching: resolved)
    }

    /// Deletes every model of every type, the outbox and sync metadata. Observers of
    /// ``observeQuery(_:where:sort:)`` get an empty snapshot; ``observe(_:where:)`` reports no
    /// per-model events for a clear.
    public func clear() async throws(DataStoreError) {
        try await engine.clear(models.schemas)
    }
}
