extension DataStore {
    /// The models matching `predicate`, in `sort` order, optionally one page of them.
    ///
    /// ```swift
    /// let all = try await store.query(Post.self)
    /// let good = try await store.query(
    ///     Post.self, where: \.rating > 4, sort: .descending(\.rating), page: .init(index: 0, size: 100))
    /// ```
    ///
    /// Without `page`, every matching model is returned. Without `sort`, the order is unspecified.
    /// The predicate runs in SQL and uses indexes, also across relations
    /// (`Comment.post.matching(\\.rating > 4)` becomes a semi-join).
    ///
    /// - Throws: ``DataStoreError`` — `modelNotRegistered`, `unknownField`, `invalidPredicate`,
    ///   `invalidQuery` (a page with a negative index or a size below 1), `decodingFailed`,
    ///   `cancelled` when the task is cancelled (the query stops promptly).
    public func query<M: Model>(
        _ type: M.Type,
        where predicate: QueryPredicate<M> = .all,
        sort: QuerySort<M>? = nil,
        page: QueryPage? = nil
    ) async throws(DataStoreError) -> [M] {
        let schema = try models.entry(for: M.self).schema
        let request = try fetchRequest(schema, predicate.predicate, sort: sort?.keys ?? [], page: page)
        return try await read { reader throws(DataStoreError) in try reader.fetch(M.self, schema, request) }
    }

    /// The models matching all the conditions of a ``PredicateBuilder`` block.
    ///
    /// ```swift
    /// let posts = try await store.query(Post.self, sort: .ascending(\.title)) {
    ///     \.rating > 4
    ///     Or {
    ///         \.status == .active
    ///         QueryPredicate.beginsWith(\.title, "Draft")
    ///     }
    /// }
    /// ```
    public func query<M: Model>(
        _ type: M.Type,
        sort: QuerySort<M>? = nil,
        page: QueryPage? = nil,
        @PredicateBuilder<M> where conditions: () -> [QueryPredicate<M>]
    ) async throws(DataStoreError) -> [M] {
        try await query(type, where: QueryPredicate(all: conditions()), sort: sort, page: page)
    }

    /// The model whose primary key `id` is `id`, or nil.
    ///
    /// - Throws: ``DataStoreError/Code/invalidQuery`` when the model's primary key is not a single
    ///   string field (use ``query(_:byIdentifier:)``).
    public func query<M: Model>(_ type: M.Type, byID id: String) async throws(DataStoreError) -> M? {
        let schema = try models.entry(for: M.self).schema
        return try await fetchOne(M.self, schema, try singleIDIdentifier(schema, id))
    }

    /// The model with the identifier `identifier` (all of its primary key fields), or nil.
    ///
    /// ```swift
    /// let order = try await store.query(Order.self, byIdentifier: Order.identifier(customerID: "c1", number: 7))
    /// ```
    ///
    /// - Throws: ``DataStoreError/Code/invalidQuery`` when the identifier does not fit the model's
    ///   primary key.
    public func query<M: Model>(
        _ type: M.Type,
        byIdentifier identifier: ModelKey<M>
    ) async throws(DataStoreError) -> M? {
        let schema = try models.entry(for: M.self).schema
        return try await fetchOne(M.self, schema, try identifier.resolve(against: schema))
    }

    func fetchOne<M: Model>(
        _ type: M.Type,
        _ schema: ModelSchema,
        _ identifier: ModelIdentifier
    ) async throws(DataStoreError) -> M? {
        let context = relationContext
        return try await read { reader throws(DataStoreError) in
            guard let values = try reader.fetchOne(schema, identifier) else { return nil }
            return try schema.decode(M.self, values, context: context)
        }
    }

    /// The number of models matching `predicate`.
    public func count<M: Model>(
        _ type: M.Type,
        where predicate: QueryPredicate<M> = .all
    )
        async throws(DataStoreError) -> Int
    {
        let schema = try models.entry(for: M.self).schema
        let resolved = try predicate.predicate.resolve(against: schema, models: models)
        return try await read { reader throws(DataStoreError) in try reader.count(schema, resolved) }
    }

    // MARK: Helpers

    func fetchRequest(
        _ schema: ModelSchema,
        _ predicate: ModelPredicate,
        sort: [SortKey],
        page: QueryPage?
    )
        throws(DataStoreError) -> FetchRequest
    {
        if let page {
            guard page.index >= 0, page.size >= 1 else {
                throw DataStoreError(
                    code: .invalidQuery,
                    message: "A page needs an index of at least 0 and a size of at least 1 (got index \(page.index), "
                        + "size \(page.size)).",
                    model: schema.name
                )
            }
            guard page.index.multipliedReportingOverflow(by: page.size).overflow == false else {
                throw DataStoreError(
                    code: .invalidQuery,
                    message: "The page index \(page.index) is too large.",
                    model: schema.name
                )
            }
        }
        var resolvedSort: [ResolvedSortKey] = []
        for key in sort {
            guard let name = key.field, let index = schema.fieldIndex(named: name) else {
                throw DataStoreError(
                    code: .unknownField,
                    message: "The sort key \(key.keyPathDescription) does not name a stored field of \(schema.name).",
                    model: schema.name,
                    field: key.field
                )
            }
            let field = schema.fields[index]
            guard field.type.isScalar else {
                throw DataStoreError(
                    code: .invalidQuery,
                    message: "Results cannot be sorted by the \(field.type.graphQLName) field \(name).",
                    model: schema.name,
                    field: name
                )
            }
            resolvedSort.append(ResolvedSortKey(fieldIndex: index, field: field, ascending: key.ascending))
        }
        return FetchRequest(
            predicate: try predicate.resolve(against: schema, models: models),
            sort: resolvedSort,
            page: page,
            context: relationContext
        )
    }

    func singleIDIdentifier(_ schema: ModelSchema, _ id: String) throws(DataStoreError) -> ModelIdentifier {
        guard schema.primaryKey.count == 1, let field = schema.field(named: schema.primaryKey[0]),
            field.type.isStringLike
        else {
            throw DataStoreError(
                code: .invalidQuery,
                message: "\(schema.name)'s primary key is (\(schema.primaryKey.joined(separator: ", "))), not a single "
                    + "string field; look it up by its full identifier.",
                model: schema.name
            )
        }
        return ModelIdentifier([.string(id)])
    }
}
