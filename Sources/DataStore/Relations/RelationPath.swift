/// A typed handle on a relation of `Source` to `Target`: generated models declare one per relation
/// field, as a static property with the field's name (`Comment.post`, `Post.comments`).
///
/// Use it in predicates, to select models by their related models (the store turns this into a
/// semi-join in SQL):
///
/// ```swift
/// // Comments on well-rated posts.
/// let comments = try await store.query(Comment.self, where: Comment.post.matching(\.rating > 4))
/// // Posts with a comment mentioning Swift, in a predicate block.
/// let posts = try await store.query(Post.self) {
///     \.status == .active
///     Post.comments { QueryPredicate.contains(\.content, "Swift") }
/// }
/// ```
///
/// For a to-many relation the condition holds when *any* related model matches.
public struct RelationPath<Source: Model, Target: Model>: Hashable, Sendable {
    /// The relation field's name (``ModelRelation/name``).
    public let name: String

    /// The relation named `name` in `Source`'s schema.
    public init(_ name: String) {
        self.name = name
    }

    /// Holds when a related model matches `predicate` (any of them, for a to-many relation).
    /// `matching(.all)` holds when there is a related model at all.
    public func matching(_ predicate: QueryPredicate<Target>) -> QueryPredicate<Source> {
        QueryPredicate(.related(name, predicate.predicate))
    }

    /// Holds when a related model satisfies all the block's conditions.
    public func callAsFunction(
        @PredicateBuilder<Target> _ conditions: () -> [QueryPredicate<Target>]
    ) -> QueryPredicate<Source> {
        matching(QueryPredicate(all: conditions()))
    }

    // MARK: Loading, for generated relation properties

    /// The related model of a to-one relation (`belongsTo`, `hasOne`), or nil when the relation's
    /// key is null or no such model is stored.
    ///
    /// A model passed to the generated initializer is returned as it was while the key still
    /// points at it; otherwise the model is read from the store `source` came from.
    ///
    /// - Throws: ``DataStoreError/Code/detachedModel`` when `source` came from no store and holds no
    ///   loaded model; ``DataStoreError/Code/storeClosed``; read errors.
    public func load(from source: Source) async throws(DataStoreError) -> Target? {
        let resolved = try resolve()
        let values = source.fieldValues
        guard let key = resolved.localKey(values) else { return nil }
        let context = source.relationContext
        if let loaded = context.loaded?.models[name] as? Target, resolved.targetKey(loaded.fieldValues) == key {
            return loaded
        }
        let store = try context.store(for: name, of: Source.schema.name)
        if resolved.targetsPrimaryKey {
            return try await store.query(Target.self, byIdentifier: ModelKey(key))
        }
        let predicate = QueryPredicate<Target>(resolved.targetModelPredicate(forKey: key))
        return try await store.query(Target.self, where: predicate, page: .first(1)).first
    }

    /// The related model of a required to-one relation.
    ///
    /// - Throws: as ``load(from:)``, and ``DataStoreError/Code/relatedModelMissing`` when the model
    ///   it points at is not stored (it was deleted, or has not synced yet).
    public func loadRequired(from source: Source) async throws(DataStoreError) -> Target {
        guard let target = try await load(from: source) else {
            throw DataStoreError(
                code: .relatedModelMissing,
                message: "The \(Source.schema.name)'s required \(name) is not stored: no \(Target.schema.name) has "
                    + "the key the \(Source.schema.name) holds. It was deleted, or has not synced yet.",
                model: Source.schema.name,
                field: name
            )
        }
        return target
    }

    /// The related models of `source` (for a to-many relation, or a `hasOne` keyed on the other
    /// side), loaded on demand.
    public func all(of source: Source) -> RelatedModels<Target> {
        let predicate: ModelPredicate
        let relation: String = "\(Source.schema.name).\(name)"
        do {
            let resolved = try resolve()
            if let key = resolved.localKey(source.fieldValues) {
                predicate = resolved.targetModelPredicate(forKey: key)
            } else {
                predicate = .or([])
            }
        } catch {
            return RelatedModels(failure: error, relation: relation)
        }
        return RelatedModels(
            predicate: QueryPredicate(predicate),
            context: source.relationContext,
            owner: Source.schema.name,
            name: name
        )
    }

    /// The relation resolved against the two models' schemas.
    private func resolve() throws(DataStoreError) -> RelationJoin {
        guard let relation = Source.schema.relations.first(where: { $0.name == name }) else {
            throw DataStoreError(
                code: .invalidSchema,
                message: "\(Source.schema.name) has no relation named \(name); regenerate the models.",
                model: Source.schema.name,
                field: name
            )
        }
        guard relation.relatedModel == Target.schema.name else {
            throw DataStoreError(
                code: .invalidSchema,
                message: "\(Source.schema.name).\(name) relates to \(relation.relatedModel), not "
                    + "\(Target.schema.name); regenerate the models.",
                model: Source.schema.name,
                field: name
            )
        }
        return try RelationJoin(relation, from: Source.schema, to: Target.schema)
    }
}

extension Model {
    /// The relation called `name` (a relation field of ``Model/schema``) to `Target`, as generated
    /// models declare it: `static let post = relation("post", to: Post.self)`.
    public static func relation<Target: Model>(_ name: String, to target: Target.Type) -> RelationPath<Self, Target> {
        RelationPath(name)
    }
}
